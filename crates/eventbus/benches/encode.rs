//! Encoding the two example events: our encoder from `serde_json::Value`
//! and from a `#[derive(Serialize)]` struct, beside apache-avro's two paths
//! in the same run — building a `Value` per record, and serde from the
//! struct.
//!
//! Run with `cargo bench -p eventbus --bench encode`. Before measuring,
//! every path's output is checked to be the same event.

use std::hint::black_box;

use apache_avro::Schema;
use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::types::Value as Avro;
use apache_avro::writer::datum::GenericDatumWriter;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eventbus::Serializer;
use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value as Json;

const USER_SCHEMA: &str = include_str!("../../../examples/schemas/user.avsc");
const USER_RECORD: &str = include_str!("../../../examples/records/user.json");
const APPOINTMENT_SCHEMA: &str = include_str!("../../../examples/schemas/appointment.avsc");
const APPOINTMENT_RECORD: &str = include_str!("../../../examples/records/appointment.json");

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct User {
    name: String,
    company: String,
    date_of_birth: i32,
    sequence_number: i64,
}

impl User {
    fn to_avro(&self) -> Avro {
        Avro::Record(vec![
            ("name".into(), Avro::String(self.name.clone())),
            ("company".into(), Avro::String(self.company.clone())),
            ("dateOfBirth".into(), Avro::Date(self.date_of_birth)),
            ("sequenceNumber".into(), Avro::Long(self.sequence_number)),
        ])
    }
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Facility {
    station_id: String,
    name: String,
    city: String,
    state: String,
    timezone: String,
}

/// The symbols of the schema's enums, spelled as the schema spells them.
#[derive(Clone, Copy, Serialize)]
#[allow(clippy::upper_case_acronyms)]
enum EventType {
    BOOKED,
}

#[derive(Clone, Copy, Serialize)]
#[allow(clippy::upper_case_acronyms)]
enum Status {
    BOOKED,
}

#[derive(Clone, Copy, Serialize)]
#[allow(non_camel_case_types)]
enum VisitType {
    IN_PERSON,
}

/// The symbol name serde writes for a unit variant.
fn symbol_name(value: impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// `Copay` is apache-avro's `Decimal` for apache-avro, and the decimal's
/// text for us: we take decimals as text or numbers, as from JSON.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Appointment<Copay> {
    event_id: String,
    event_type: EventType,
    occurred_at: i64,
    appointment_id: String,
    patient_icn: String,
    status: Status,
    start_time: i64,
    end_time: i64,
    appointment_date: i32,
    duration_minutes: i32,
    facility: Facility,
    clinic_name: Option<String>,
    provider_name: Option<String>,
    visit_type: VisitType,
    procedure_codes: Vec<String>,
    is_telehealth: bool,
    reason_for_visit: Option<String>,
    attributes: IndexMap<String, String>,
    copay_amount: Copay,
    schema_version: i32,
    updated_at: i64,
}

fn symbol(schema: &Schema, field: &str, value: &str) -> Avro {
    let Schema::Record(record) = schema else {
        unreachable!("the appointment schema is a record")
    };
    let field = &record.fields[record.lookup[field]];
    let Schema::Enum(enumeration) = &field.schema else {
        unreachable!("{} is an enum", field.name)
    };
    let index = enumeration.symbols.iter().position(|s| s == value).unwrap();
    Avro::Enum(index as u32, value.to_string())
}

fn optional(value: &Option<String>) -> Avro {
    match value {
        None => Avro::Union(0, Box::new(Avro::Null)),
        Some(s) => Avro::Union(1, Box::new(Avro::String(s.clone()))),
    }
}

impl Appointment<apache_avro::Decimal> {
    fn to_avro(&self, schema: &Schema) -> Avro {
        let facility = &self.facility;
        Avro::Record(vec![
            ("eventId".into(), Avro::String(self.event_id.clone())),
            (
                "eventType".into(),
                symbol(schema, "eventType", &symbol_name(self.event_type)),
            ),
            ("occurredAt".into(), Avro::TimestampMillis(self.occurred_at)),
            (
                "appointmentId".into(),
                Avro::String(self.appointment_id.clone()),
            ),
            ("patientIcn".into(), Avro::String(self.patient_icn.clone())),
            (
                "status".into(),
                symbol(schema, "status", &symbol_name(self.status)),
            ),
            ("startTime".into(), Avro::TimestampMillis(self.start_time)),
            ("endTime".into(), Avro::TimestampMillis(self.end_time)),
            ("appointmentDate".into(), Avro::Date(self.appointment_date)),
            ("durationMinutes".into(), Avro::Int(self.duration_minutes)),
            (
                "facility".into(),
                Avro::Record(vec![
                    (
                        "stationId".into(),
                        Avro::String(facility.station_id.clone()),
                    ),
                    ("name".into(), Avro::String(facility.name.clone())),
                    ("city".into(), Avro::String(facility.city.clone())),
                    ("state".into(), Avro::String(facility.state.clone())),
                    ("timezone".into(), Avro::String(facility.timezone.clone())),
                ]),
            ),
            ("clinicName".into(), optional(&self.clinic_name)),
            ("providerName".into(), optional(&self.provider_name)),
            (
                "visitType".into(),
                symbol(schema, "visitType", &symbol_name(self.visit_type)),
            ),
            (
                "procedureCodes".into(),
                Avro::Array(
                    self.procedure_codes
                        .iter()
                        .map(|c| Avro::String(c.clone()))
                        .collect(),
                ),
            ),
            ("isTelehealth".into(), Avro::Boolean(self.is_telehealth)),
            ("reasonForVisit".into(), optional(&self.reason_for_visit)),
            (
                "attributes".into(),
                Avro::Map(
                    self.attributes
                        .iter()
                        .map(|(k, v)| (k.clone(), Avro::String(v.clone())))
                        .collect(),
                ),
            ),
            (
                "copayAmount".into(),
                Avro::Decimal(self.copay_amount.clone()),
            ),
            ("schemaVersion".into(), Avro::Int(self.schema_version)),
            ("updatedAt".into(), Avro::TimestampMicros(self.updated_at)),
        ])
    }
}

/// The example appointment as the struct an application would hold.
fn appointment_struct<Copay>(copay_amount: Copay) -> Appointment<Copay> {
    let mut attributes = IndexMap::new();
    attributes.insert("insurancePlan".into(), "TRICARE".into());
    attributes.insert("language".into(), "en".into());
    attributes.insert("interpreter".into(), "no".into());
    Appointment {
        event_id: "3f2b8c1e-5d4a-4e8b-9c7f-1a2b3c4d5e6f".into(),
        event_type: EventType::BOOKED,
        occurred_at: 1_796_047_512_345,
        appointment_id: "A-2026-000123".into(),
        patient_icn: "1012345678V123456".into(),
        status: Status::BOOKED,
        start_time: 1_797_262_200_000,
        end_time: 1_797_264_000_000,
        appointment_date: 20_801,
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
        visit_type: VisitType::IN_PERSON,
        procedure_codes: vec!["99213".into(), "G0438".into(), "36415".into()],
        is_telehealth: false,
        reason_for_visit: Some("Annual wellness visit".into()),
        attributes,
        copay_amount,
        schema_version: 1,
        updated_at: 1_796_047_512_345_678,
    }
}

fn user_struct() -> User {
    User {
        name: "Newbie".into(),
        company: "Ad Hoc".into(),
        date_of_birth: 11_164,
        sequence_number: 1,
    }
}

/// Checks that all three paths write the same event before timing them.
fn check_same_event(schema: &Schema, ours: &[u8], value_path: &[u8], serde_path: &[u8]) {
    let reader = GenericDatumReader::builder(schema).build().unwrap();
    let read = |bytes: &[u8]| reader.read_value(&mut &bytes[..]).unwrap();
    assert_eq!(read(ours), read(value_path), "Value path disagrees");
    // The serde path keeps map order, so its bytes must be ours exactly.
    assert_eq!(ours, serde_path, "serde path disagrees");
}

/// `native` is the struct apache-avro is given, `ours_native` the same event as
/// the struct we are given.
#[allow(clippy::too_many_arguments)]
fn bench_event<T: Serialize, U: Serialize>(
    c: &mut Criterion,
    name: &str,
    schema_text: &str,
    record_json: &str,
    native: &T,
    ours_native: &U,
    to_avro: impl Fn(&T, &Schema) -> Avro,
) {
    let schema = Schema::parse_str(schema_text).unwrap();
    let serializer = Serializer::from_schema_text(1, schema_text).unwrap();
    let json: Json = serde_json::from_str(record_json).unwrap();
    let writer = GenericDatumWriter::builder(&schema).build().unwrap();

    let ours = serializer.encode(&json).unwrap();
    let value_path = writer.write_value_to_vec(to_avro(native, &schema)).unwrap();
    let serde_path = writer.write_ser_to_vec(native).unwrap();
    check_same_event(&schema, &ours[5..], &value_path, &serde_path);
    assert_eq!(
        serializer.encode_serialize(ours_native).unwrap(),
        ours,
        "our serde path disagrees"
    );

    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(1));
    let mut buffer = Vec::with_capacity(1024);
    group.bench_function("eventbus from serde_json::Value", |b| {
        b.iter(|| {
            buffer.clear();
            serializer
                .encode_into(black_box(&json), &mut buffer)
                .unwrap();
            black_box(&buffer);
        })
    });
    group.bench_function("eventbus from a serde struct", |b| {
        b.iter(|| {
            buffer.clear();
            serializer
                .encode_serialize_into(black_box(ours_native), &mut buffer)
                .unwrap();
            black_box(&buffer);
        })
    });
    group.bench_function("apache-avro Value per record", |b| {
        b.iter(|| {
            black_box(
                writer
                    .write_value_to_vec(to_avro(black_box(native), &schema))
                    .unwrap(),
            )
        })
    });
    group.bench_function("apache-avro serde struct", |b| {
        b.iter(|| black_box(writer.write_ser_to_vec(black_box(native)).unwrap()))
    });
    group.finish();
}

fn encode(c: &mut Criterion) {
    bench_event(
        c,
        "user",
        USER_SCHEMA,
        USER_RECORD,
        &user_struct(),
        &user_struct(),
        |u, _| u.to_avro(),
    );
    bench_event(
        c,
        "appointment",
        APPOINTMENT_SCHEMA,
        APPOINTMENT_RECORD,
        &appointment_struct(apache_avro::Decimal::from(vec![0x05, 0xdc])),
        &appointment_struct("15.00"),
        |a, schema| a.to_avro(schema),
    );
}

/// The large event has no serde struct here: apache-avro is given the same
/// JSON, turned into its `Value` and resolved against the schema per record.
fn bench_large_event(c: &mut Criterion) {
    let schema_text = include_str!("../../../examples/schemas/visit-summary.avsc");
    let record_json = include_str!("../../../examples/records/visit-summary.json");
    let schema = Schema::parse_str(schema_text).unwrap();
    let serializer = Serializer::from_schema_text(1, schema_text).unwrap();
    let json: Json = serde_json::from_str(record_json).unwrap();
    let writer = GenericDatumWriter::builder(&schema).build().unwrap();
    let from_json = |json: &Json| {
        Avro::try_from(json.clone())
            .and_then(|value| value.resolve(&schema))
            .unwrap()
    };

    let ours = serializer.encode(&json).unwrap();
    let value_path = writer.write_value_to_vec(from_json(&json)).unwrap();
    let reader = GenericDatumReader::builder(&schema).build().unwrap();
    let read = |bytes: &[u8]| reader.read_value(&mut &bytes[..]).unwrap();
    assert_eq!(read(&ours[5..]), read(&value_path), "Value path disagrees");

    let mut group = c.benchmark_group("visit-summary");
    group.throughput(Throughput::Elements(1));
    let mut buffer = Vec::with_capacity(4096);
    group.bench_function("eventbus from serde_json::Value", |b| {
        b.iter(|| {
            buffer.clear();
            serializer
                .encode_into(black_box(&json), &mut buffer)
                .unwrap();
            black_box(&buffer);
        })
    });
    group.bench_function("apache-avro Value per record", |b| {
        b.iter(|| {
            black_box(
                writer
                    .write_value_to_vec(from_json(black_box(&json)))
                    .unwrap(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, encode, bench_large_event);
criterion_main!(benches);
