//! Rules of the encoder and decoder, one test per rule, through the public
//! `Serializer` so that framing and error conversion are covered too.

use serde_json::{Value, json};

use crate::{Error, ErrorKind, Serializer};

const APPOINTMENT: &str = include_str!("../../../../examples/schemas/appointment.avsc");
const APPOINTMENT_RECORD: &str = include_str!("../../../../examples/records/appointment.json");

fn serializer(schema: Value) -> Serializer {
    Serializer::from_schema_text(7, &schema.to_string()).expect("schema compiles")
}

/// The Avro datum without the five-byte header.
fn datum(schema: Value, value: Value) -> Vec<u8> {
    serializer(schema).encode(&value).expect("value encodes")[5..].to_vec()
}

fn invalid(schema: Value, value: Value) -> (String, String) {
    match serializer(schema).encode(&value) {
        Err(Error::InvalidRecord {
            field_path,
            problem,
        }) => (field_path, problem),
        other => panic!("expected an invalid record, got {other:?}"),
    }
}

fn record(fields: Value) -> Value {
    json!({"type": "record", "name": "R", "fields": fields})
}

fn appointment() -> Value {
    serde_json::from_str(APPOINTMENT_RECORD).unwrap()
}

#[test]
fn frames_with_magic_byte_and_big_endian_id() {
    let bytes = serializer(json!("long")).encode(&json!(1)).unwrap();
    assert_eq!(bytes, [0, 0, 0, 0, 7, 2]);
}

#[test]
fn primitives_encode_as_the_specification_says() {
    assert_eq!(datum(json!("null"), json!(null)), Vec::<u8>::new());
    assert_eq!(datum(json!("boolean"), json!(true)), [1]);
    assert_eq!(datum(json!("int"), json!(-64)), [0x7f]);
    assert_eq!(datum(json!("long"), json!(64)), [0x80, 0x01]);
    assert_eq!(datum(json!("float"), json!(1.5)), 1.5f32.to_le_bytes());
    assert_eq!(datum(json!("double"), json!(2)), 2f64.to_le_bytes());
    assert_eq!(datum(json!("string"), json!("hé")), [6, b'h', 0xc3, 0xa9]);
    assert_eq!(
        datum(json!("long"), json!(i64::MIN)),
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
    );
}

#[test]
fn keys_may_be_primitive_schemas() {
    let key = serializer(json!("string"));
    let bytes = key.encode(&json!("A-1")).unwrap();
    assert_eq!(bytes, [0, 0, 0, 0, 7, 6, b'A', b'-', b'1']);
    assert_eq!(key.decode(&bytes).unwrap(), json!("A-1"));
}

#[test]
fn bytes_are_code_points_up_to_ff() {
    assert_eq!(
        datum(json!("bytes"), json!("\u{0}\u{ff}A")),
        [6, 0, 0xff, b'A']
    );
    let (path, problem) = invalid(json!("bytes"), json!("\u{100}"));
    assert_eq!(path, "");
    assert!(problem.contains("U+0100"), "{problem}");
}

#[test]
fn fixed_needs_its_exact_length() {
    let schema = json!({"type": "fixed", "name": "F", "size": 2});
    assert_eq!(datum(schema.clone(), json!("ab")), b"ab");
    let (_, problem) = invalid(schema, json!("abc"));
    assert_eq!(problem, "expected exactly 2 bytes for fixed F, found 3");
}

#[test]
fn missing_field_without_default_names_the_path() {
    let mut value = appointment();
    value["facility"].as_object_mut().unwrap().remove("city");
    let (path, problem) = invalid(serde_json::from_str(APPOINTMENT).unwrap(), value);
    assert_eq!(path, "facility.city");
    assert!(
        problem.starts_with("missing field of type string"),
        "{problem}"
    );
}

#[test]
fn wrong_type_says_expected_and_found() {
    let mut value = appointment();
    value["facility"]["city"] = Value::Null;
    let err = serializer(serde_json::from_str(APPOINTMENT).unwrap())
        .encode(&value)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRecord);
    assert_eq!(
        err.to_string(),
        "invalid record: facility.city: expected string, found null"
    );
}

#[test]
fn array_indexes_and_map_keys_appear_in_brackets() {
    let schema: Value = serde_json::from_str(APPOINTMENT).unwrap();
    let mut value = appointment();
    value["procedureCodes"][2] = json!(36415);
    assert_eq!(invalid(schema.clone(), value).0, "procedureCodes[2]");

    let mut value = appointment();
    value["attributes"]["insurancePlan"] = json!(false);
    assert_eq!(invalid(schema, value).0, "attributes[\"insurancePlan\"]");
}

#[test]
fn int_out_of_range_is_refused() {
    let (_, problem) = invalid(json!("int"), json!(3_000_000_000u64));
    assert_eq!(problem, "3000000000 is out of range for int (32-bit)");
    let (_, problem) = invalid(json!("long"), json!(u64::MAX));
    assert!(problem.contains("out of range for long"), "{problem}");
    let (_, problem) = invalid(json!("int"), json!(1.5));
    assert!(problem.contains("fractional"), "{problem}");
    assert_eq!(datum(json!("int"), json!(3.0)), [6]);
}

#[test]
fn unknown_enum_symbol_lists_the_allowed_ones() {
    let mut value = appointment();
    value["visitType"] = json!("TELEPATHY");
    let (path, problem) = invalid(serde_json::from_str(APPOINTMENT).unwrap(), value);
    assert_eq!(path, "visitType");
    assert_eq!(
        problem,
        "unknown symbol \"TELEPATHY\" for enum gov.va.eventbus.example.VisitType; expected one \
         of IN_PERSON, VIDEO, PHONE"
    );
}

#[test]
fn unknown_extra_field_is_an_error_not_dropped() {
    let mut value = appointment();
    value["facility"]["phone"] = json!("555-0100");
    let (path, problem) = invalid(serde_json::from_str(APPOINTMENT).unwrap(), value);
    assert_eq!(path, "facility.phone");
    assert!(problem.starts_with("unknown field"), "{problem}");
}

#[test]
fn bad_logical_values_are_refused() {
    let schema: Value = serde_json::from_str(APPOINTMENT).unwrap();
    for (field, bad, expected) in [
        ("appointmentDate", json!("2026-13-01"), "YYYY-MM-DD"),
        ("occurredAt", json!("2026-11-30T14:05:12"), "with a zone"),
        (
            "occurredAt",
            json!("2026-11-30T14:05:12.0001Z"),
            "more precision",
        ),
        ("eventId", json!("not-a-uuid"), "UUID"),
        ("copayAmount", json!("15.001"), "scale of 2"),
        ("copayAmount", json!("1234567.00"), "precision of 8"),
    ] {
        let mut value = appointment();
        value[field] = bad;
        let (path, problem) = invalid(schema.clone(), value);
        assert_eq!(path, field);
        assert!(problem.contains(expected), "{field}: {problem}");
    }
}

#[test]
fn union_without_a_fitting_branch_is_refused() {
    let schema = record(json!([{"name": "note", "type": ["null", "string"]}]));
    let (path, problem) = invalid(schema, json!({"note": 5}));
    assert_eq!(path, "note");
    assert_eq!(problem, "expected one of [null, string], found integer");
}

#[test]
fn union_takes_bare_values_by_first_fitting_branch() {
    let schema = json!(["null", "int", "string", "double"]);
    assert_eq!(datum(schema.clone(), json!(null)), [0]);
    assert_eq!(datum(schema.clone(), json!(3)), [2, 6]);
    assert_eq!(datum(schema.clone(), json!("x")), [4, 2, b'x']);
    let mut expected = vec![6];
    expected.extend(2.5f64.to_le_bytes());
    assert_eq!(datum(schema, json!(2.5)), expected);
}

#[test]
fn union_takes_the_wrapped_form_by_type_name() {
    let schema = json!(["null", "int", "long"]);
    assert_eq!(datum(schema.clone(), json!({"long": 3})), [4, 6]);
    let named = json!(["null", {"type": "record", "name": "ns.Point", "fields": [
        {"name": "x", "type": "int"}]}]);
    assert_eq!(datum(named.clone(), json!({"ns.Point": {"x": 1}})), [2, 2]);
    assert_eq!(datum(named, json!({"x": 1})), [2, 2]);
}

#[test]
fn union_of_records_reports_the_inner_path() {
    let schema = record(json!([{"name": "where", "type": ["null", {
        "type": "record", "name": "Place", "fields": [{"name": "city", "type": "string"}]}]}]));
    let (path, problem) = invalid(schema, json!({"where": {"city": null}}));
    assert_eq!(path, "where.city");
    assert_eq!(problem, "expected string, found null");
}

#[test]
fn nullable_field_without_default_must_be_present() {
    let mut value = appointment();
    value.as_object_mut().unwrap().remove("reasonForVisit");
    let (path, _) = invalid(serde_json::from_str(APPOINTMENT).unwrap(), value);
    assert_eq!(path, "reasonForVisit");
}

#[test]
fn missing_fields_with_defaults_take_the_default() {
    let schema = record(json!([
        {"name": "a", "type": ["null", "string"], "default": null},
        {"name": "b", "type": "int", "default": 5},
        {"name": "c", "type": ["string", "null"], "default": "hi"},
        {"name": "d", "type": {"type": "array", "items": "int"}, "default": [1]},
    ]));
    assert_eq!(datum(schema, json!({})), [0, 10, 0, 4, b'h', b'i', 2, 2, 0]);
}

#[test]
fn map_entries_keep_the_callers_order() {
    let schema = json!({"type": "map", "values": "int"});
    let value: Value = serde_json::from_str(r#"{"z": 1, "a": 2}"#).unwrap();
    assert_eq!(datum(schema, value), [4, 2, b'z', 2, 2, b'a', 4, 0]);
}

#[test]
fn logical_types_take_numbers_or_text() {
    let date = json!({"type": "int", "logicalType": "date"});
    assert_eq!(
        datum(date.clone(), json!("1970-01-02")),
        datum(date, json!(1))
    );
    let time = json!({"type": "int", "logicalType": "time-millis"});
    assert_eq!(
        datum(time.clone(), json!("00:00:01.5")),
        datum(time, json!(1500))
    );
    let ts = json!({"type": "long", "logicalType": "timestamp-micros"});
    assert_eq!(
        datum(ts.clone(), json!("1970-01-01T01:00:00.000001+01:00")),
        datum(ts, json!(1))
    );
    let local = json!({"type": "long", "logicalType": "local-timestamp-millis"});
    assert_eq!(
        datum(local.clone(), json!("1970-01-01T00:00:01.000")),
        datum(local, json!(1000))
    );
    let decimal = json!({"type": "bytes", "logicalType": "decimal", "precision": 6, "scale": 2});
    assert_eq!(datum(decimal.clone(), json!(12.34)), [4, 0x04, 0xd2]);
    assert_eq!(datum(decimal.clone(), json!("12.34")), [4, 0x04, 0xd2]);
    assert_eq!(datum(decimal, json!(-1)), [2, 0x9c]);
    let fixed_decimal = json!({"type": "fixed", "name": "Money", "size": 4,
        "logicalType": "decimal", "precision": 9, "scale": 0});
    assert_eq!(datum(fixed_decimal, json!(-2)), [0xff, 0xff, 0xff, 0xfe]);
    let uuid = json!({"type": "fixed", "name": "Id", "size": 16, "logicalType": "uuid"});
    assert_eq!(
        datum(uuid, json!("00010203-0405-0607-0809-0a0b0c0d0e0f")),
        (0u8..16).collect::<Vec<_>>()
    );
}

#[test]
fn decode_renders_logical_types_as_iso_text_and_round_trips() {
    let s = serializer(serde_json::from_str(APPOINTMENT).unwrap());
    let bytes = s.encode(&appointment()).unwrap();
    let decoded = s.decode(&bytes).unwrap();
    assert_eq!(decoded["occurredAt"], "2026-11-30T14:05:12.345Z");
    assert_eq!(decoded["updatedAt"], "2026-11-30T14:05:12.345678Z");
    assert_eq!(decoded["appointmentDate"], "2026-12-14");
    assert_eq!(decoded["copayAmount"], "15.00");
    assert_eq!(decoded["providerName"], Value::Null);
    assert_eq!(s.encode(&decoded).unwrap(), bytes);
}

#[test]
fn non_finite_doubles_travel_as_strings() {
    let s = serializer(json!("double"));
    for text in ["NaN", "Infinity", "-Infinity"] {
        let bytes = s.encode(&json!(text)).unwrap();
        assert_eq!(s.decode(&bytes).unwrap(), json!(text));
    }
}

#[test]
fn recursive_schemas_encode_and_stop_at_the_depth_limit() {
    let schema = json!({"type": "record", "name": "Node", "fields": [
        {"name": "next", "type": ["null", "Node"]}]});
    assert_eq!(
        datum(schema.clone(), json!({"next": {"next": null}})),
        [2, 0]
    );
    let mut deep = json!({"next": null});
    for _ in 0..100 {
        deep = json!({ "next": deep });
    }
    let (_, problem) = invalid(schema, deep);
    assert!(problem.contains("deeper than"), "{problem}");
}

#[test]
fn a_failed_encode_leaves_the_buffer_as_it_was() {
    let s = serializer(serde_json::from_str(APPOINTMENT).unwrap());
    let mut out = vec![9, 9];
    let mut value = appointment();
    value["facility"]["state"] = json!(1);
    assert!(s.encode_into(&value, &mut out).is_err());
    assert_eq!(out, [9, 9]);
    s.encode_into(&appointment(), &mut out).unwrap();
    assert_eq!(&out[..3], [9, 9, 0]);
}

#[test]
fn decode_refuses_malformed_input() {
    let s = serializer(serde_json::from_str(APPOINTMENT).unwrap());
    let bytes = s.encode(&appointment()).unwrap();
    for cut in [6, 20, bytes.len() - 1] {
        let err = s.decode(&bytes[..cut]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "cut at {cut}: {err}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(
        s.decode(&longer)
            .unwrap_err()
            .to_string()
            .contains("left over")
    );

    let other = Serializer::from_schema_text(8, APPOINTMENT).unwrap();
    assert_eq!(
        other.decode(&bytes).unwrap_err().kind(),
        ErrorKind::SchemaMismatch
    );

    // An array that claims a billion items in a few bytes.
    let array = serializer(json!({"type": "array", "items": "long"}));
    let err = array
        .decode(&[0, 0, 0, 0, 7, 0x80, 0xa8, 0xd6, 0xb9, 0x07, 2])
        .unwrap_err();
    assert!(
        err.to_string().contains("more than the input holds"),
        "{err}"
    );
}

#[test]
fn unsupported_schemas_are_refused_with_a_reason() {
    let wide = json!({"type": "bytes", "logicalType": "decimal", "precision": 40, "scale": 2});
    let err = Serializer::from_schema_text(1, &wide.to_string()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidSchema);
    assert!(err.to_string().contains("38 digits"), "{err}");
    let err = Serializer::from_schema_text(1, "{\"type\": \"recrod\"}").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidSchema);
}

#[test]
fn key_order_does_not_change_the_bytes() {
    let schema = record(json!([
        {"name": "a", "type": "int"},
        {"name": "b", "type": "string", "default": "x"},
        {"name": "c", "type": "int"},
    ]));
    let in_order = datum(schema.clone(), json!({"a": 1, "b": "y", "c": 2}));
    let reversed: Value = serde_json::from_str(r#"{"c": 2, "b": "y", "a": 1}"#).unwrap();
    assert_eq!(datum(schema.clone(), reversed), in_order);
    // A defaulted field left out in the middle, and at the end.
    let skipped = datum(schema.clone(), json!({"a": 1, "c": 2}));
    assert_eq!(
        skipped,
        datum(schema.clone(), json!({"a": 1, "b": "x", "c": 2}))
    );
    let tail =
        record(json!([{"name": "a", "type": "int"}, {"name": "z", "type": "int", "default": 9}]));
    assert_eq!(datum(tail, json!({"a": 1})), [2, 18]);
    // Out of order and missing a required field.
    let unordered: Value = serde_json::from_str(r#"{"c": 2, "b": "y"}"#).unwrap();
    let (path, problem) = invalid(schema.clone(), unordered);
    assert_eq!(path, "a");
    assert!(problem.starts_with("missing field"), "{problem}");
    // An unknown key between known ones.
    let (path, problem) = invalid(schema, json!({"a": 1, "extra": true, "c": 2}));
    assert_eq!(path, "extra");
    assert!(problem.starts_with("unknown field"), "{problem}");
}
