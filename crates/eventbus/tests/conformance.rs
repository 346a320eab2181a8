//! Property tests: for generated schemas and values, our encoder writes what
//! apache-avro writes, apache-avro reads back what we wrote, and our own
//! decoder returns the value we started from.

use std::collections::HashMap;

use apache_avro::Schema;
use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::types::Value as Avro;
use apache_avro::writer::datum::GenericDatumWriter;
use eventbus::Serializer;
use proptest::prelude::*;
use serde_json::{Value as Json, json};

/// A generated schema, kept as a tree so values can be generated for it.
#[derive(Clone, Debug)]
enum Gen {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    String,
    Bytes,
    Fixed(usize),
    Enum(usize),
    Date,
    TimestampMillis,
    TimestampMicros,
    Array(Box<Gen>),
    Map(Box<Gen>),
    Record(Vec<Gen>),
    Nullable(Box<Gen>),
}

impl Gen {
    /// The schema as JSON; named types get unique names from `next`.
    fn to_json(&self, next: &mut usize) -> Json {
        let mut name = |prefix: &str| {
            *next += 1;
            format!("{prefix}{next}")
        };
        match self {
            Gen::Null => json!("null"),
            Gen::Boolean => json!("boolean"),
            Gen::Int => json!("int"),
            Gen::Long => json!("long"),
            Gen::Float => json!("float"),
            Gen::Double => json!("double"),
            Gen::String => json!("string"),
            Gen::Bytes => json!("bytes"),
            Gen::Fixed(size) => json!({"type": "fixed", "name": name("F"), "size": size}),
            Gen::Enum(count) => json!({"type": "enum", "name": name("E"),
                "symbols": (0..*count).map(|i| format!("S{i}")).collect::<Vec<_>>()}),
            Gen::Date => json!({"type": "int", "logicalType": "date"}),
            Gen::TimestampMillis => json!({"type": "long", "logicalType": "timestamp-millis"}),
            Gen::TimestampMicros => json!({"type": "long", "logicalType": "timestamp-micros"}),
            Gen::Array(items) => json!({"type": "array", "items": items.to_json(next)}),
            Gen::Map(values) => json!({"type": "map", "values": values.to_json(next)}),
            Gen::Record(fields) => {
                let record_name = name("R");
                let fields: Vec<Json> = fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| json!({"name": format!("f{i}"), "type": f.to_json(next)}))
                    .collect();
                json!({"type": "record", "name": record_name, "fields": fields})
            }
            Gen::Nullable(inner) => json!(["null", inner.to_json(next)]),
        }
    }

    fn has_logical_types(&self) -> bool {
        match self {
            Gen::Date | Gen::TimestampMillis | Gen::TimestampMicros => true,
            Gen::Array(inner) | Gen::Map(inner) | Gen::Nullable(inner) => inner.has_logical_types(),
            Gen::Record(fields) => fields.iter().any(Gen::has_logical_types),
            _ => false,
        }
    }
}

fn leaf() -> impl Strategy<Value = Gen> {
    prop_oneof![
        Just(Gen::Null),
        Just(Gen::Boolean),
        Just(Gen::Int),
        Just(Gen::Long),
        Just(Gen::Float),
        Just(Gen::Double),
        Just(Gen::String),
        Just(Gen::Bytes),
        (0usize..6).prop_map(Gen::Fixed),
        (1usize..5).prop_map(Gen::Enum),
        Just(Gen::Date),
        Just(Gen::TimestampMillis),
        Just(Gen::TimestampMicros),
    ]
}

fn schema() -> impl Strategy<Value = Gen> {
    leaf().prop_recursive(4, 24, 5, |inner| {
        prop_oneof![
            inner.clone().prop_map(|g| Gen::Array(Box::new(g))),
            inner.clone().prop_map(|g| Gen::Map(Box::new(g))),
            prop::collection::vec(inner.clone(), 0..5).prop_map(Gen::Record),
            inner
                .prop_filter("unions hold one null and no nested union", |g| {
                    !matches!(g, Gen::Null | Gen::Nullable(_))
                })
                .prop_map(|g| Gen::Nullable(Box::new(g))),
        ]
    })
}

/// A value for `shape`, in natural JSON and as apache-avro's `Value`.
fn value(shape: &Gen) -> BoxedStrategy<(Json, Avro)> {
    match shape {
        Gen::Null => Just((Json::Null, Avro::Null)).boxed(),
        Gen::Boolean => any::<bool>()
            .prop_map(|b| (json!(b), Avro::Boolean(b)))
            .boxed(),
        Gen::Int => any::<i32>().prop_map(|v| (json!(v), Avro::Int(v))).boxed(),
        Gen::Long => any::<i64>().prop_map(|v| (json!(v), Avro::Long(v))).boxed(),
        Gen::Float => any::<f32>()
            .prop_filter("JSON has no NaN or infinity", |v| v.is_finite())
            .prop_map(|v| (json!(f64::from(v)), Avro::Float(v)))
            .boxed(),
        Gen::Double => any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |v| v.is_finite())
            .prop_map(|v| (json!(v), Avro::Double(v)))
            .boxed(),
        Gen::String => ".{0,12}".prop_map(|s| (json!(s), Avro::String(s))).boxed(),
        Gen::Bytes => prop::collection::vec(any::<u8>(), 0..12)
            .prop_map(|b| (bytes_json(&b), Avro::Bytes(b)))
            .boxed(),
        Gen::Fixed(size) => {
            let size = *size;
            prop::collection::vec(any::<u8>(), size)
                .prop_map(move |b| (bytes_json(&b), Avro::Fixed(size, b)))
                .boxed()
        }
        Gen::Enum(count) => (0..*count)
            .prop_map(|i| {
                (
                    json!(format!("S{i}")),
                    Avro::Enum(i as u32, format!("S{i}")),
                )
            })
            .boxed(),
        Gen::Date => (-100_000i32..100_000)
            .prop_map(|d| (json!(d), Avro::Date(d)))
            .boxed(),
        Gen::TimestampMillis => (-10i64.pow(13)..10i64.pow(13))
            .prop_map(|t| (json!(t), Avro::TimestampMillis(t)))
            .boxed(),
        Gen::TimestampMicros => (-10i64.pow(16)..10i64.pow(16))
            .prop_map(|t| (json!(t), Avro::TimestampMicros(t)))
            .boxed(),
        Gen::Array(items) => prop::collection::vec(value(items), 0..4)
            .prop_map(|items| {
                let (json, avro): (Vec<_>, Vec<_>) = items.into_iter().unzip();
                (Json::Array(json), Avro::Array(avro))
            })
            .boxed(),
        Gen::Map(values) => prop::collection::vec(("[a-z]{0,3}", value(values)), 0..4)
            .prop_map(|entries| {
                let mut json = serde_json::Map::new();
                let mut avro = HashMap::new();
                for (key, (j, a)) in entries {
                    json.insert(key.clone(), j);
                    avro.insert(key, a);
                }
                (Json::Object(json), Avro::Map(avro))
            })
            .boxed(),
        Gen::Record(fields) => fields
            .iter()
            .map(value)
            .collect::<Vec<_>>()
            .prop_map(|values| {
                let mut json = serde_json::Map::new();
                let mut avro = Vec::new();
                for (i, (j, a)) in values.into_iter().enumerate() {
                    json.insert(format!("f{i}"), j);
                    avro.push((format!("f{i}"), a));
                }
                (Json::Object(json), Avro::Record(avro))
            })
            .boxed(),
        Gen::Nullable(inner) => prop_oneof![
            Just((Json::Null, Avro::Union(0, Box::new(Avro::Null)))),
            value(inner).prop_map(|(j, a)| (j, Avro::Union(1, Box::new(a)))),
        ]
        .boxed(),
    }
}

fn bytes_json(bytes: &[u8]) -> Json {
    Json::String(bytes.iter().map(|&b| char::from(b)).collect())
}

/// Whether any map in the value has two or more entries: apache-avro keeps
/// maps in a `HashMap`, so only then may its byte order differ from ours.
fn has_multi_entry_map(value: &Avro) -> bool {
    match value {
        Avro::Map(entries) => entries.len() > 1 || entries.values().any(has_multi_entry_map),
        Avro::Array(items) => items.iter().any(has_multi_entry_map),
        Avro::Record(fields) => fields.iter().any(|(_, v)| has_multi_entry_map(v)),
        Avro::Union(_, inner) => has_multi_entry_map(inner),
        _ => false,
    }
}

fn case() -> impl Strategy<Value = (Gen, Json, Avro)> {
    schema().prop_flat_map(|shape| {
        let values = value(&shape);
        (Just(shape), values).prop_map(|(shape, (json, avro))| (shape, json, avro))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn our_bytes_are_apache_avros_bytes((shape, json, avro) in case()) {
        let schema_json = shape.to_json(&mut 0);
        let schema = Schema::parse(&schema_json).unwrap();
        let serializer = Serializer::from_schema_text(1, &schema_json.to_string()).unwrap();
        let ours = serializer.encode(&json).unwrap();

        let theirs_read = GenericDatumReader::builder(&schema)
            .build()
            .unwrap()
            .read_value(&mut &ours[5..])
            .unwrap();
        prop_assert_eq!(&theirs_read, &avro);
        if !has_multi_entry_map(&avro) {
            let theirs = GenericDatumWriter::builder(&schema)
                .build()
                .unwrap()
                .write_value_to_vec(avro.clone())
                .unwrap();
            prop_assert_eq!(&ours[5..], &theirs[..]);
        }
    }

    #[test]
    fn decode_inverts_encode((shape, json, _avro) in case()) {
        let schema_json = shape.to_json(&mut 0);
        let serializer = Serializer::from_schema_text(1, &schema_json.to_string()).unwrap();
        let bytes = serializer.encode(&json).unwrap();
        let decoded = serializer.decode(&bytes).unwrap();
        // Logical types decode to ISO text rather than the numbers we sent.
        if !shape.has_logical_types() {
            prop_assert_eq!(&decoded, &json);
        }
        prop_assert_eq!(serializer.encode(&decoded).unwrap(), bytes);
    }
}
