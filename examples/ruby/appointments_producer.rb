# frozen_string_literal: true

# Sends an appointment event every few seconds, the job of the Event Bus's
# Ruby producer sample, with the eventbus-producer gem alone: no rdkafka, no
# avro_turf, no token refresher. It reads the sample's variables:
#
#   KAFKA_HOST                   the brokers (or EB_BOOTSTRAP_SERVERS)
#   SECURITY_PROTOCOL            SASL_SSL on MSK (the default), PLAINTEXT locally
#   SCHEMA_REGISTRY_URL          the registry
#   SCHEMA_REGISTRY_PATH_PREFIX  a path before the registry's API, if any
#
# and the pinned schema ids the Event Bus team gives out:
#
#   APPOINTMENTS_VALUE_SCHEMA_ID, APPOINTMENTS_KEY_SCHEMA_ID (optional)
#
# With SASL_SSL, the AWS credentials come from the usual places (AWS_ROLE to
# assume a role). EVENT_COUNT stops after that many events; INTERVAL sets the
# seconds between them (default 5).
require "eventbus"
require "logger"
require "securerandom"

EventBus.logger = Logger.new($stdout, level: Logger::INFO)
topic = ENV.fetch("APPOINTMENTS_TOPIC", "appointments")
schemas = { value_schema_id: Integer(ENV.fetch("APPOINTMENTS_VALUE_SCHEMA_ID")) }
schemas[:key_schema_id] = Integer(ENV["APPOINTMENTS_KEY_SCHEMA_ID"]) if ENV["APPOINTMENTS_KEY_SCHEMA_ID"]
count = ENV["EVENT_COUNT"]&.then { |n| Integer(n) }
interval = Float(ENV.fetch("INTERVAL", "5"))

EventBus::Producer.open(topics: { topic => schemas }) do |producer|
  1.step do |sequence|
    break if count && sequence > count

    start = Time.now.utc + 86_400
    event = {
      eventId: SecureRandom.uuid, eventType: :BOOKED, occurredAt: Time.now.utc,
      appointmentId: format("A-%d-%06d", start.year, sequence), patientIcn: "1012345678V123456",
      status: :BOOKED, startTime: start, endTime: start + 1800, appointmentDate: start.to_date,
      durationMinutes: 30,
      facility: { stationId: "668", name: "Mann-Grandstaff VA Medical Center", city: "Spokane",
                  state: "WA", timezone: "America/Los_Angeles" },
      clinicName: "Primary Care Blue", providerName: nil, visitType: :IN_PERSON,
      procedureCodes: %w[99213 G0438], isTelehealth: false, reasonForVisit: "Annual wellness visit",
      attributes: { "insurancePlan" => "TRICARE" }, copayAmount: BigDecimal("15.00"),
      schemaVersion: 1, updatedAt: Time.now.utc
    }
    key = schemas[:key_schema_id] && event[:appointmentId]
    report = producer.produce_sync(topic: topic, key: key, value: event)
    EventBus.logger.info("appointment #{event[:appointmentId]} at partition #{report.partition}, offset #{report.offset}")
    sleep interval unless count && sequence == count
  end
end
