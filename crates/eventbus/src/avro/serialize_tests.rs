//! serde values encode to the very bytes their JSON twins do, and fail with
//! the same field paths.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde::ser::{Error as _, SerializeSeq};
use serde_json::{Value, json};

use crate::{Error, Serializer};

const APPOINTMENT: &str = include_str!("../../../../examples/schemas/appointment.avsc");
const APPOINTMENT_RECORD: &str = include_str!("../../../../examples/records/appointment.json");

fn serializer(schema: Value) -> Serializer {
    Serializer::from_schema_text(7, &schema.to_string()).expect("schema compiles")
}

fn record(fields: Value) -> Value {
    json!({"type": "record", "name": "R", "fields": fields})
}

/// Both encodings of the same value, serde first.
fn both<T: Serialize>(schema: Value, value: &T, json: Value) -> (Vec<u8>, Vec<u8>) {
    let serializer = serializer(schema);
    let typed = serializer
        .encode_serialize(value)
        .expect("serde value encodes");
    let from_json = serializer.encode(&json).expect("JSON value encodes");
    (typed, from_json)
}

fn invalid<T: Serialize>(schema: Value, value: &T) -> (String, String) {
    match serializer(schema).encode_serialize(value) {
        Err(Error::InvalidRecord {
            field_path,
            problem,
        }) => (field_path, problem),
        other => panic!("expected an invalid record, got {other:?}"),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Facility {
    station_id: String,
    name: String,
    city: String,
    state: String,
    timezone: String,
}

#[derive(Serialize)]
#[allow(clippy::upper_case_acronyms)]
enum EventType {
    BOOKED,
}

#[derive(Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum VisitType {
    InPerson,
}

/// The example appointment as an application holds it: timestamps and the
/// date as ISO text, the decimal as text, enums as Rust enums.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Appointment {
    event_id: String,
    event_type: EventType,
    occurred_at: String,
    appointment_id: String,
    patient_icn: String,
    status: &'static str,
    start_time: String,
    end_time: String,
    appointment_date: String,
    duration_minutes: u16,
    facility: Facility,
    clinic_name: Option<String>,
    provider_name: Option<String>,
    visit_type: VisitType,
    procedure_codes: Vec<&'static str>,
    is_telehealth: bool,
    reason_for_visit: Option<String>,
    attributes: BTreeMap<String, String>,
    copay_amount: String,
    schema_version: i32,
    updated_at: String,
}

fn appointment() -> Appointment {
    Appointment {
        event_id: "3f2b8c1e-5d4a-4e8b-9c7f-1a2b3c4d5e6f".into(),
        event_type: EventType::BOOKED,
        occurred_at: "2026-11-30T14:05:12.345Z".into(),
        appointment_id: "A-2026-000123".into(),
        patient_icn: "1012345678V123456".into(),
        status: "BOOKED",
        start_time: "2026-12-14T15:30:00.000Z".into(),
        end_time: "2026-12-14T16:00:00.000Z".into(),
        appointment_date: "2026-12-14".into(),
        duration_minutes: 30,
        facility: Facility {
            station_id: "668".into(),
            name: "Mann-Grandstaff VA Medical Center".into(),
            city: "Spokane".into(),
            state: "WA".into(),
            timezone: "America/Los_Angeles".into(),
        },
        clinic_name: Some("Primary Care Blue".into()),
        provider_name: None,
        visit_type: VisitType::InPerson,
        procedure_codes: vec!["99213", "G0438", "36415"],
        is_telehealth: false,
        reason_for_visit: Some("Annual wellness visit".into()),
        attributes: [
            ("insurancePlan", "TRICARE"),
            ("language", "en"),
            ("interpreter", "no"),
        ]
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect(),
        copay_amount: "15.00".into(),
        schema_version: 1,
        updated_at: "2026-11-30T14:05:12.345678Z".into(),
    }
}

#[test]
fn a_struct_encodes_to_the_bytes_of_its_json() {
    let schema: Value = serde_json::from_str(APPOINTMENT).unwrap();
    let mut json: Value = serde_json::from_str(APPOINTMENT_RECORD).unwrap();
    // A BTreeMap iterates its keys sorted; so must the JSON for equal bytes.
    json["attributes"] = json!({"insurancePlan": "TRICARE", "interpreter": "no", "language": "en"});
    let (typed, from_json) = both(schema.clone(), &appointment(), json.clone());
    assert_eq!(typed, from_json);
    // And it reads back as the same event.
    assert_eq!(serializer(schema).decode(&typed).unwrap(), json);
}

#[test]
fn field_order_in_rust_does_not_change_the_bytes() {
    #[derive(Serialize)]
    struct Backwards {
        c: Option<i32>,
        b: &'static str,
        a: i64,
    }
    let schema = record(json!([
        {"name": "a", "type": "long"},
        {"name": "b", "type": "string"},
        {"name": "c", "type": ["null", "int"]}
    ]));
    let value = Backwards {
        c: Some(3),
        b: "x",
        a: -1,
    };
    let (typed, from_json) = both(schema, &value, json!({"a": -1, "b": "x", "c": 3}));
    assert_eq!(typed, from_json);
    assert_eq!(&typed[5..], [1, 2, b'x', 2, 6]);
}

#[test]
fn skipped_fields_take_their_defaults_and_missing_ones_are_named() {
    #[derive(Serialize)]
    struct Sparse {
        a: i32,
        #[serde(skip_serializing_if = "Option::is_none")]
        b: Option<i32>,
        c: i32,
    }
    let schema = record(json!([
        {"name": "a", "type": "int"},
        {"name": "b", "type": ["null", "int"], "default": null},
        {"name": "c", "type": "int"},
        {"name": "d", "type": "string", "default": "dee"}
    ]));
    let value = Sparse {
        a: 1,
        b: None,
        c: 2,
    };
    let (typed, from_json) = both(schema, &value, json!({"a": 1, "c": 2}));
    assert_eq!(typed, from_json);

    #[derive(Serialize)]
    struct NoC {
        a: i32,
    }
    let schema = record(json!([
        {"name": "a", "type": "int"},
        {"name": "c", "type": "int"}
    ]));
    let (path, problem) = invalid(schema, &NoC { a: 1 });
    assert_eq!(path, "c");
    assert!(problem.contains("missing field of type int"), "{problem}");
}

#[test]
fn unknown_and_repeated_fields_are_refused_by_name() {
    #[derive(Serialize)]
    struct Extra {
        a: i32,
        extra: bool,
    }
    let schema = record(json!([{"name": "a", "type": "int"}]));
    let (path, problem) = invalid(schema.clone(), &Extra { a: 1, extra: true });
    assert_eq!(path, "extra");
    assert!(
        problem.contains("unknown field, not in record R"),
        "{problem}"
    );

    // A map standing for the record may name a field twice only by accident
    // of a custom Serialize; it is refused either way.
    struct Twice;
    impl Serialize for Twice {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = s.serialize_map(Some(2))?;
            map.serialize_entry("a", &1)?;
            map.serialize_entry("a", &2)?;
            map.end()
        }
    }
    let (path, problem) = invalid(schema, &Twice);
    assert_eq!(path, "a");
    assert!(problem.contains("more than once"), "{problem}");
}

#[test]
fn bad_values_fail_with_their_field_paths() {
    let schema: Value = serde_json::from_str(APPOINTMENT).unwrap();

    let mut value = appointment();
    value.occurred_at = "yesterday".into();
    let (path, problem) = invalid(schema.clone(), &value);
    assert_eq!(path, "occurredAt");
    assert!(problem.contains("timestamp"), "{problem}");

    let mut value = appointment();
    value.status = "LOST";
    let (path, problem) = invalid(schema.clone(), &value);
    assert_eq!(path, "status");
    assert!(problem.contains("unknown symbol \"LOST\""), "{problem}");

    let mut value = appointment();
    value.copay_amount = "1234567.891".into();
    let (path, _) = invalid(schema.clone(), &value);
    assert_eq!(path, "copayAmount");

    let mut value = appointment();
    value.event_id = "3f2b8c1e".into();
    let (path, _) = invalid(schema.clone(), &value);
    assert_eq!(path, "eventId");

    // Inside arrays and maps the path names the item and the key.
    let schema = record(json!([
        {"name": "codes", "type": {"type": "array", "items": "int"}},
        {"name": "attributes", "type": {"type": "map", "values": "int"}}
    ]));
    #[derive(Serialize)]
    struct Lists {
        codes: Vec<i64>,
        attributes: BTreeMap<&'static str, i64>,
    }
    let (path, problem) = invalid(
        schema.clone(),
        &Lists {
            codes: vec![1, 2, 1 << 40],
            attributes: BTreeMap::new(),
        },
    );
    assert_eq!(path, "codes[2]");
    assert!(problem.contains("out of range for int"), "{problem}");
    let (path, _) = invalid(
        schema,
        &Lists {
            codes: vec![],
            attributes: [("ok", 1), ("big", 1 << 40)].into_iter().collect(),
        },
    );
    assert_eq!(path, "attributes[\"big\"]");
}

#[test]
fn a_custom_serialize_error_keeps_its_place() {
    struct Broken;
    impl Serialize for Broken {
        fn serialize<S: serde::Serializer>(&self, _s: S) -> Result<S::Ok, S::Error> {
            Err(S::Error::custom("clock not set"))
        }
    }
    #[derive(Serialize)]
    struct Outer {
        inner: Inner,
    }
    #[derive(Serialize)]
    struct Inner {
        at: Broken,
    }
    let schema = record(
        json!([{"name": "inner", "type": {"type": "record", "name": "Inner",
        "fields": [{"name": "at", "type": "long"}]}}]),
    );
    let (path, problem) = invalid(
        schema,
        &Outer {
            inner: Inner { at: Broken },
        },
    );
    assert_eq!(path, "inner.at");
    assert_eq!(problem, "clock not set");
}

#[test]
fn an_error_leaves_the_buffer_as_it_was() {
    let serializer = serializer(record(json!([
        {"name": "a", "type": "string"},
        {"name": "b", "type": "int"}
    ])));
    #[derive(Serialize)]
    struct Half {
        a: &'static str,
        b: &'static str,
    }
    let mut out = vec![9, 9];
    let err = serializer
        .encode_serialize_into(
            &Half {
                a: "written",
                b: "no",
            },
            &mut out,
        )
        .unwrap_err();
    assert_eq!(err.field_path(), Some("b"));
    assert_eq!(out, [9, 9]);
}

#[test]
fn enums_with_data_choose_the_union_branch_they_name() {
    #[derive(Serialize)]
    struct Phone {
        number: String,
    }
    #[derive(Serialize)]
    struct Email {
        address: String,
    }
    #[derive(Serialize)]
    enum Contact {
        Phone(Phone),
        Email(Email),
        #[serde(rename = "string")]
        Note(String),
    }
    #[derive(Serialize)]
    struct Person {
        contact: Contact,
        backup: Option<Email>,
    }
    let email = json!({"type": "record", "name": "Email", "fields": [
        {"name": "address", "type": "string"}]});
    let schema = record(json!([
        {"name": "contact", "type": [
            {"type": "record", "name": "Phone", "namespace": "x", "fields": [
                {"name": "number", "type": "string"}]},
            email,
            "string"
        ]},
        {"name": "backup", "type": ["null", "Email"]}
    ]));
    let value = Person {
        contact: Contact::Email(Email {
            address: "a@b".into(),
        }),
        backup: Some(Email {
            address: "c@d".into(),
        }),
    };
    let (typed, from_json) = both(
        schema.clone(),
        &value,
        json!({"contact": {"Email": {"address": "a@b"}}, "backup": {"address": "c@d"}}),
    );
    assert_eq!(typed, from_json);

    let value = Person {
        contact: Contact::Phone(Phone {
            number: "555".into(),
        }),
        backup: None,
    };
    let (typed, from_json) = both(
        schema.clone(),
        &value,
        json!({"contact": {"x.Phone": {"number": "555"}}, "backup": null}),
    );
    assert_eq!(typed, from_json);

    let value = Person {
        contact: Contact::Note("call after 5".into()),
        backup: None,
    };
    let (typed, _) = both(
        schema.clone(),
        &value,
        json!({"contact": "call after 5", "backup": null}),
    );
    assert_eq!(&typed[5..7], [4, 24]);

    #[derive(Serialize)]
    enum Wrong {
        Fax(String),
    }
    #[derive(Serialize)]
    struct Faxed {
        contact: Wrong,
        backup: Option<Email>,
    }
    let (path, problem) = invalid(
        schema,
        &Faxed {
            contact: Wrong::Fax("1".into()),
            backup: None,
        },
    );
    assert_eq!(path, "contact");
    assert!(problem.contains("variant Fax names no branch"), "{problem}");
}

#[test]
fn bytes_maps_and_flattened_fields() {
    #[derive(Serialize)]
    struct Extra {
        note: String,
    }
    #[derive(Serialize)]
    struct Blob {
        // A plain Vec<u8> reaches serde as a sequence of numbers.
        data: Vec<u8>,
        tags: HashMap<String, bool>,
        #[serde(flatten)]
        extra: Extra,
    }
    let schema = record(json!([
        {"name": "data", "type": "bytes"},
        {"name": "tags", "type": {"type": "map", "values": "boolean"}},
        {"name": "note", "type": "string"}
    ]));
    let value = Blob {
        data: vec![0, 255, 7],
        tags: [("on".to_string(), true)].into_iter().collect(),
        extra: Extra { note: "n".into() },
    };
    let (typed, from_json) = both(
        schema,
        &value,
        json!({"data": "\u{0}\u{ff}\u{7}", "tags": {"on": true}, "note": "n"}),
    );
    assert_eq!(typed, from_json);
}

#[test]
fn sequences_of_unknown_length_are_counted() {
    struct Evens(u32);
    impl Serialize for Evens {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(None)?;
            for n in (0..self.0).filter(|n| n % 2 == 0) {
                seq.serialize_element(&n)?;
            }
            seq.end()
        }
    }
    let schema = json!({"type": "array", "items": "long"});
    let (typed, from_json) = both(schema.clone(), &Evens(7), json!([0, 2, 4, 6]));
    assert_eq!(typed, from_json);
    let (typed, from_json) = both(schema, &Evens(0), json!([]));
    assert_eq!(typed, from_json);
}

#[test]
fn numbers_meet_the_same_rules_as_json_numbers() {
    let (typed, from_json) = both(json!("double"), &3u8, json!(3));
    assert_eq!(typed, from_json);
    let (typed, from_json) = both(json!("long"), &2.0f64, json!(2.0));
    assert_eq!(typed, from_json);
    let (typed, from_json) = both(
        json!({"type": "long", "logicalType": "timestamp-millis"}),
        &1_796_047_512_345i64,
        json!("2026-11-30T14:05:12.345Z"),
    );
    assert_eq!(typed, from_json);
    let (_, problem) = invalid(json!("long"), &u64::MAX);
    assert!(problem.contains("out of range for long"), "{problem}");
    let (_, problem) = invalid(json!("int"), &1.5f32);
    assert!(problem.contains("fractional part"), "{problem}");
    let (_, problem) = invalid(json!("string"), &None::<String>);
    assert_eq!(problem, "expected string, found null");
}

#[test]
fn nesting_is_bounded() {
    #[derive(Serialize)]
    struct Node {
        next: Option<Box<Node>>,
    }
    let schema = json!({"type": "record", "name": "Node", "fields": [
        {"name": "next", "type": ["null", "Node"]}]});
    let mut chain = Node { next: None };
    for _ in 0..100 {
        chain = Node {
            next: Some(Box::new(chain)),
        };
    }
    let (_, problem) = invalid(schema, &chain);
    assert!(problem.contains("deeper than 64"), "{problem}");
}

#[test]
fn map_keys_must_be_text() {
    let schema = json!({"type": "map", "values": "int"});
    let (typed, from_json) = both(schema.clone(), &BTreeMap::from([(1, 2)]), json!({"1": 2}));
    assert_eq!(typed, from_json);
    let (_, problem) = invalid(schema, &HashMap::from([(true, 2)]));
    assert_eq!(problem, "map keys must be strings, found a boolean");
}

#[test]
fn chrono_and_uuid_values_are_read_as_their_iso_text() {
    use chrono::{DateTime, NaiveDate, Utc};
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Stamped {
        event_id: uuid::Uuid,
        occurred_at: DateTime<Utc>,
        appointment_date: NaiveDate,
        updated_at: DateTime<Utc>,
    }
    let schema = record(json!([
        {"name": "eventId", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "occurredAt", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "appointmentDate", "type": {"type": "int", "logicalType": "date"}},
        {"name": "updatedAt", "type": {"type": "long", "logicalType": "timestamp-micros"}}
    ]));
    let value = Stamped {
        event_id: "3f2b8c1e-5d4a-4e8b-9c7f-1a2b3c4d5e6f".parse().unwrap(),
        occurred_at: "2026-11-30T14:05:12.345Z".parse().unwrap(),
        appointment_date: NaiveDate::from_ymd_opt(2026, 12, 14).unwrap(),
        updated_at: "2026-11-30T14:05:12.345678Z".parse().unwrap(),
    };
    let (typed, from_json) = both(
        schema,
        &value,
        json!({
            "eventId": "3f2b8c1e-5d4a-4e8b-9c7f-1a2b3c4d5e6f",
            "occurredAt": "2026-11-30T14:05:12.345Z",
            "appointmentDate": "2026-12-14",
            "updatedAt": "2026-11-30T14:05:12.345678Z"
        }),
    );
    assert_eq!(typed, from_json);
}

#[test]
fn structs_are_records_never_maps() {
    #[derive(Serialize)]
    struct Location {
        city: &'static str,
    }
    // Rust and Avro names may differ: a union's only record takes the struct.
    let schema = json!(["null", {"type": "record", "name": "Place", "fields": [
        {"name": "city", "type": "string"}]}]);
    let (typed, from_json) = both(
        schema,
        &Some(Location { city: "Spokane" }),
        json!({"city": "Spokane"}),
    );
    assert_eq!(typed, from_json);

    let (_, problem) = invalid(
        json!({"type": "map", "values": "string"}),
        &Location { city: "Spokane" },
    );
    assert!(
        problem.contains("a map takes a HashMap or BTreeMap"),
        "{problem}"
    );
}
