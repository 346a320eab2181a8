# frozen_string_literal: true

require_relative "test_helper"

class SerializerTest < Minitest::Test
  include EventBusTestFiles

  # What `eventbus encode --schema-id 12 --schema examples/schemas/<name>.avsc`
  # writes for examples/records/<name>.json.
  USER_HEX = "000000000c0c4e65776269650c416420486f63b8ae0102"
  APPOINTMENT_HEX =
    "000000000c4833663262386331652d356434612d346538622d396337662d31613262336334643565366600" \
    "b28cb1ccc5681a412d323032362d3030303132332231303132333435363738563132333435360280b3e6d2" \
    "ce688090c2d4ce6882c5023c06363638424d616e6e2d4772616e647374616666205641204d65646963616c" \
    "2043656e7465720e53706f6b616e6504574126416d65726963612f4c6f735f416e67656c657302225072" \
    "696d617279204361726520426c75650000060a39393231330a47303433380a33363431350000022a416e" \
    "6e75616c2077656c6c6e657373207669736974061a696e737572616e6365506c616e0e54524943415245" \
    "106c616e677561676504656e16696e746572707265746572046e6f000405dc029cf1c8dfdcdfb006"

  def user_serializer
    EventBus::Serializer.new(schema_id: 12, schema: schema_text("user"))
  end

  def appointment_serializer
    EventBus::Serializer.new(schema_id: 12, schema: schema_text("appointment"))
  end

  def test_user_bytes_match_the_core
    bytes = user_serializer.encode(record("user"))
    assert_equal Encoding::BINARY, bytes.encoding
    assert_equal USER_HEX, bytes.unpack1("H*")
  end

  def test_appointment_bytes_match_the_core
    assert_equal APPOINTMENT_HEX, appointment_serializer.encode(record("appointment")).unpack1("H*")
  end

  def test_user_round_trip
    serializer = user_serializer
    decoded = serializer.decode(serializer.encode(record("user")))
    assert_equal Date.new(2000, 7, 26), decoded["dateOfBirth"]
    assert_equal record("user").merge("dateOfBirth" => Date.new(2000, 7, 26)), decoded
    assert_equal USER_HEX, serializer.encode(decoded).unpack1("H*")
  end

  def test_appointment_round_trip_builds_ruby_objects
    serializer = appointment_serializer
    decoded = serializer.decode(serializer.encode(record("appointment")))
    assert_equal Time.utc(2026, 11, 30, 14, 5, 12.345r), decoded["occurredAt"]
    assert decoded["occurredAt"].utc?
    assert_equal Time.utc(2026, 11, 30, 14, 5, Rational(12_345_678, 1_000_000)), decoded["updatedAt"]
    assert_equal Date.new(2026, 12, 14), decoded["appointmentDate"]
    assert_equal BigDecimal("15.00"), decoded["copayAmount"]
    assert_equal({ "stationId" => "668", "name" => "Mann-Grandstaff VA Medical Center",
                   "city" => "Spokane", "state" => "WA", "timezone" => "America/Los_Angeles" },
                 decoded["facility"])
    assert_equal %w[99213 G0438 36415], decoded["procedureCodes"]
    assert_nil decoded["providerName"]
    assert_equal false, decoded["isTelehealth"]
    assert_equal APPOINTMENT_HEX, serializer.encode(decoded).unpack1("H*")
  end

  def test_symbol_keys_and_symbol_enums
    event = deep_symbolize(record("appointment"))
    event[:eventType] = :BOOKED
    assert_equal APPOINTMENT_HEX, appointment_serializer.encode(event).unpack1("H*")
  end

  def test_native_date_time_and_big_decimal
    event = record("appointment").merge(
      "occurredAt" => Time.utc(2026, 11, 30, 14, 5, 12.345r),
      "startTime" => Time.new(2026, 12, 14, 7, 30, 0, "-08:00"),
      "endTime" => Time.utc(2026, 12, 14, 16),
      "appointmentDate" => Date.new(2026, 12, 14),
      "copayAmount" => BigDecimal("15"),
      "updatedAt" => Time.at(Rational(1_796_047_512_345_678, 1_000_000)).utc
    )
    assert_equal APPOINTMENT_HEX, appointment_serializer.encode(event).unpack1("H*")
  end

  def test_binary_string_is_bytes
    serializer = EventBus::Serializer.new(schema_id: 3, schema: '"bytes"')
    raw = "\x00\xFF\x80abc".b
    bytes = serializer.encode(raw)
    assert_equal "0000000003" + "0c" + raw.unpack1("H*"), bytes.unpack1("H*")
    decoded = serializer.decode(bytes)
    assert_equal Encoding::BINARY, decoded.encoding
    assert_equal raw, decoded
  end

  def test_invalid_record_names_the_field
    event = record("appointment")
    event["facility"]["city"] = nil
    error = assert_raises(EventBus::InvalidRecord) { appointment_serializer.encode(event) }
    assert_equal "facility.city", error.field_path
    assert_equal "invalid_record", error.kind
    assert_kind_of EventBus::Error, error
    assert_match(/facility\.city: expected string, found null/, error.message)
    refute error.retriable?
  end

  def test_invalid_array_item_and_map_value
    event = record("appointment")
    event["procedureCodes"] = ["99213", "G0438", 36_415]
    error = assert_raises(EventBus::InvalidRecord) { appointment_serializer.encode(event) }
    assert_equal "procedureCodes[2]", error.field_path

    event = record("appointment")
    event["attributes"] = { "insurancePlan" => true }
    error = assert_raises(EventBus::InvalidRecord) { appointment_serializer.encode(event) }
    assert_equal 'attributes["insurancePlan"]', error.field_path
  end

  def test_other_objects_are_refused
    error = assert_raises(EventBus::InvalidRecord) do
      user_serializer.encode(record("user").merge("name" => Object.new))
    end
    assert_equal "name", error.field_path
  end

  def test_decode_errors
    assert_raises(EventBus::DecodeError) { user_serializer.decode("\x01\x00".b) }
    other = EventBus::Serializer.new(schema_id: 13, schema: schema_text("user"))
    assert_raises(EventBus::SchemaMismatch) { user_serializer.decode(other.encode(record("user"))) }
  end

  def test_construction_errors
    assert_raises(EventBus::InvalidSchema) { EventBus::Serializer.new(schema_id: 1, schema: "{") }
    assert_raises(EventBus::ConfigError) { EventBus::Serializer.new(schema_id: 1) }
    error = assert_raises(EventBus::ConfigError) do
      EventBus::Serializer.new(schema_id: 1, registry_url: "ftp://example")
    end
    assert_equal "config", error.kind
  end

  def test_every_kind_has_a_class
    %w[ConfigError InvalidSchema RegistryUnavailable SchemaNotFound SchemaMismatch InvalidRecord
       DecodeError AuthError DeliveryError TimeoutError ClosedError QueueFullError].each do |name|
      assert_operator EventBus.const_get(name), :<, EventBus::Error
    end
    assert_equal "queue_full", EventBus::QueueFullError.new("full").kind
  end

  def test_gc_stress
    serializer = appointment_serializer
    event = record("appointment")
    bytes = nil
    decoded = nil
    GC.stress = true
    begin
      3.times do
        bytes = serializer.encode(event)
        decoded = serializer.decode(bytes)
      end
    ensure
      GC.stress = false
    end
    assert_equal APPOINTMENT_HEX, bytes.unpack1("H*")
    assert_equal "Spokane", decoded["facility"]["city"]
    assert_equal APPOINTMENT_HEX, serializer.encode(decoded).unpack1("H*")
  end

  private

  def deep_symbolize(value)
    case value
    when Hash then value.to_h { |key, item| [key.to_sym, deep_symbolize(item)] }
    when Array then value.map { |item| deep_symbolize(item) }
    else value
    end
  end
end
