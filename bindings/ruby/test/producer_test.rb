# frozen_string_literal: true

require_relative "test_helper"

# The producer against the local stack's PLAINTEXT listener and registry.
class ProducerTest < Minitest::Test
  include EventBusTestFiles
  include EventBusStack

  def setup
    require_stack
    @topic = unique_topic("ruby-appointments")
    @value_id = register("#{@topic}-value", schema_text("appointment"))
    @key_id = register("#{@topic}-key", schema_text("appointment-key"))
  end

  def new_producer(**options)
    EventBus::Producer.new(
      topics: { @topic => { value_schema_id: @value_id, key_schema_id: @key_id } },
      security_protocol: "PLAINTEXT", **options
    )
  end

  def test_produce_wait_and_read_back
    event = record("appointment")
    EventBus::Producer.open(topics: { @topic => { value_schema_id: @value_id, key_schema_id: @key_id } },
                            security_protocol: "PLAINTEXT") do |producer|
      handle = producer.produce(topic: @topic, key: event["appointmentId"], value: event,
                                headers: { "source" => "ruby-test" })
      report = handle.wait(timeout: 30)
      assert_instance_of EventBus::DeliveryReport, report
      assert_equal @topic, report.topic
      assert_equal 0, report.offset
      assert_kind_of Time, report.timestamp
      assert handle.done?
      # A second wait gives the same answer at once.
      assert_equal report, handle.wait(timeout: 0)

      second = producer.produce_sync(topic: @topic, value: event.merge("providerName" => "Dr. Second"))
      assert_equal 1, second.offset
    end

    messages = read_back(@topic, expected: 2)
    assert_equal 2, messages.size
    first = messages.first
    assert_equal event["appointmentId"], first["key"]
    assert_equal({ "source" => "ruby-test" }, first["headers"])
    assert_equal event["facility"], first["value"]["facility"]
    assert_equal "Dr. Second", messages.last["value"]["providerName"]
    assert_nil messages.last["key"]
  end

  def test_bad_record_sends_nothing_and_the_producer_stays_usable
    producer = new_producer
    bad = record("appointment")
    bad["procedureCodes"] = ["99213", 36_415]
    error = assert_raises(EventBus::InvalidRecord) { producer.produce(topic: @topic, value: bad) }
    assert_equal "procedureCodes[1]", error.field_path
    assert_equal 0, producer.in_flight

    error = assert_raises(EventBus::InvalidRecord) do
      producer.produce(topic: @topic, key: 42, value: record("appointment"))
    end
    assert_equal "", error.field_path.to_s

    report = producer.produce_sync(topic: @topic, value: record("appointment"))
    producer.close(timeout: 10)
    messages = read_back(@topic, expected: 1)
    assert_equal [report.offset], messages.map { |m| m["offset"] }
    assert_equal record("appointment")["facility"], messages.first["value"]["facility"]
  end

  def test_wrong_topic_and_closed_producer
    producer = new_producer
    error = assert_raises(EventBus::ConfigError) { producer.produce(topic: "nope", value: {}) }
    assert_match(/not bound/, error.message)
    producer.close(timeout: 10)
    assert producer.closed?
    assert_raises(EventBus::ClosedError) { producer.produce(topic: @topic, value: record("appointment")) }
  end

  def test_unknown_schema_id_fails_at_start
    error = assert_raises(EventBus::SchemaNotFound) do
      EventBus::Producer.new(topics: { @topic => { value_schema_id: 987_654 } }, security_protocol: "PLAINTEXT")
    end
    assert_match(/987654/, error.message)
  end

  def test_settings_are_checked
    assert_raises(ArgumentError) { new_producer(bootstrap_server: "x:1") }
    assert_raises(EventBus::ConfigError) { EventBus::Producer.new(topics: { @topic => { key_schema_id: 1 } }) }
    error = assert_raises(EventBus::ConfigError) { new_producer(security_protocol: "SSL") }
    assert_match(/SSL/, error.message)
  end

  def test_serializer_from_the_registry
    serializer = EventBus::Serializer.new(schema_id: @value_id, registry_url: ENV.fetch("SCHEMA_REGISTRY_URL"),
                                          path_prefix: ENV["SCHEMA_REGISTRY_PATH_PREFIX"])
    offline = EventBus::Serializer.new(schema_id: @value_id, schema: schema_text("appointment"))
    assert_equal offline.encode(record("appointment")), serializer.encode(record("appointment"))
  end

  # Waiting for the brokers must not stop other Ruby threads: here nothing
  # answers, so flush waits its full second while a counter keeps going.
  def test_other_threads_run_while_flush_waits
    producer = EventBus::Producer.new(topics: { @topic => { value_schema_id: @value_id } },
                                      bootstrap_servers: "127.0.0.1:1", security_protocol: "PLAINTEXT",
                                      message_timeout: 5)
    producer.produce(topic: @topic, value: record("appointment"))
    count = 0
    counter = Thread.new { loop { count += 1 } }
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    assert_raises(EventBus::TimeoutError) { producer.flush(timeout: 1) }
    elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
    counter.kill
    assert_operator elapsed, :>=, 0.9
    assert_operator count, :>, 10_000, "the counter thread barely ran while flush waited"

    error = assert_raises(EventBus::TimeoutError) { producer.close(timeout: 0.5) }
    assert_match(/1 messages were not delivered/, error.message)
  end

  def test_an_interrupt_reaches_a_waiting_thread
    producer = EventBus::Producer.new(topics: { @topic => { value_schema_id: @value_id } },
                                      bootstrap_servers: "127.0.0.1:1", security_protocol: "PLAINTEXT",
                                      message_timeout: 5)
    handle = producer.produce(topic: @topic, value: record("appointment"))
    waiter = Thread.new do
      handle.wait(timeout: 60)
    rescue Interrupt
      :interrupted
    end
    sleep 0.3
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    waiter.raise(Interrupt)
    assert_equal :interrupted, waiter.value
    assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, :<, 1
    refute handle.done?
    assert_raises(EventBus::TimeoutError) { producer.close(timeout: 0) }
    error = assert_raises(EventBus::DeliveryError) { handle.wait(timeout: 5) }
    assert_equal "delivery", error.kind
  end

  def test_logs_reach_the_logger_without_secrets
    log = StringIO.new
    previous = EventBus.logger
    EventBus.logger = Logger.new(log, level: Logger::INFO)
    producer = new_producer(schema_registry_basic_auth: "tester:s3cret-password")
    producer.produce_sync(topic: @topic, value: record("appointment"))
    producer.close(timeout: 10)
    EventBus.stop_log_forwarding
    text = log.string
    assert_match(/topic bound/, text)
    assert_match(/producer closed/, text)
    refute_match(/s3cret-password/, text)
    refute_match(/Mann-Grandstaff/, text)
  ensure
    EventBus.logger = previous
  end
end
