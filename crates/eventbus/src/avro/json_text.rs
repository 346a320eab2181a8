//! JSON text read for the encoder ([`JsonText`]): the natural JSON form of a
//! record, parsed into a tree that borrows its strings from the text where
//! no escape is in the way and keeps each object as the list of entries it
//! was written as.
//!
//! Reading a record from JSON text into `serde_json::Value` spends most of
//! its time building maps: hashing every key and allocating every string.
//! The encoder needs neither, because it walks an object's entries in the
//! order they come and looks a field up by name only when they are out of
//! order. This tree is what the C API and other callers holding JSON text
//! encode from; the values it reads, and the errors they give, are those of
//! the `serde_json::Value` form, except that an object repeating a key is
//! refused rather than keeping the last one silently.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::datum::{Datum, DatumKind};
use super::path::RecordError;

/// A record (or any value) read from JSON text, borrowing from the text.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonText<'a>(Node<'a>);

impl<'a> JsonText<'a> {
    /// Parses one JSON value, with nothing but white space after it.
    pub fn parse(text: &'a str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text).map(JsonText)
    }

    /// The value, to hand to the encoder (`&JsonText` is a [`Datum`]).
    pub fn datum(&self) -> &Node<'a> {
        &self.0
    }
}

/// One JSON value of a [`JsonText`].
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    Int(i64),
    /// A whole number past `i64::MAX`: no Avro long holds it.
    BigUnsigned(u64),
    Float(f64),
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

impl<'a> Datum for &Node<'a> {
    fn kind(&self) -> DatumKind {
        match self {
            Node::Null => DatumKind::Null,
            Node::Bool(_) => DatumKind::Boolean,
            Node::Int(_) | Node::BigUnsigned(_) => DatumKind::Integer,
            Node::Float(_) => DatumKind::Float,
            Node::String(_) => DatumKind::String,
            Node::Array(_) => DatumKind::Array,
            Node::Object(_) => DatumKind::Object,
        }
    }

    fn as_bool(&self) -> Option<bool> {
        match self {
            Node::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    fn as_long(&self) -> Option<i64> {
        match self {
            Node::Int(n) => Some(*n),
            _ => None,
        }
    }

    fn as_double(&self) -> Option<f64> {
        match self {
            Node::Int(n) => Some(*n as f64),
            Node::BigUnsigned(n) => Some(*n as f64),
            Node::Float(n) => Some(*n),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<Cow<'_, str>> {
        match self {
            Node::String(text) => Some(Cow::Borrowed(text)),
            _ => None,
        }
    }

    fn field(&self, name: &str) -> Option<Self> {
        match self {
            Node::Object(entries) => entries
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value),
            _ => None,
        }
    }

    fn count(&self) -> Option<usize> {
        match self {
            Node::Array(items) => Some(items.len()),
            Node::Object(entries) => Some(entries.len()),
            _ => None,
        }
    }

    fn for_each_item<F>(&self, mut f: F) -> Result<(), RecordError>
    where
        F: FnMut(Self) -> Result<(), RecordError>,
    {
        if let Node::Array(items) = self {
            for item in items {
                f(item)?;
            }
        }
        Ok(())
    }

    fn for_each_entry<F>(&self, mut f: F) -> Result<(), RecordError>
    where
        F: FnMut(&str, Self) -> Result<(), RecordError>,
    {
        if let Node::Object(entries) = self {
            for (key, value) in entries {
                f(key, value)?;
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E>(self, flag: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(flag))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Node<'de>, E> {
        Ok(Node::Int(n))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Node<'de>, E> {
        Ok(i64::try_from(n).map_or(Node::BigUnsigned(n), Node::Int))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Node<'de>, E> {
        Ok(Node::Float(n))
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Borrowed(text)))
    }

    fn visit_str<E>(self, text: &str) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Owned(text.to_owned())))
    }

    fn visit_string<E>(self, text: String) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Owned(text)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut entries: Vec<(Cow<'de, str>, Node<'de>)> = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value = map.next_value()?;
            entries.push((key, value));
        }
        Ok(Node::Object(entries))
    }
}

/// Reads an object key, borrowing it from the text when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(text))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(text))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::Serializer;

    const APPOINTMENT: &str = include_str!("../../../../examples/schemas/appointment.avsc");
    const APPOINTMENT_RECORD: &str = include_str!("../../../../examples/records/appointment.json");

    #[test]
    fn borrows_plain_strings_and_keys_and_owns_escaped_ones() {
        let text = JsonText::parse(r#"{"plain": "text", "esc\"aped": "a\nb"}"#).unwrap();
        let Node::Object(entries) = text.datum() else {
            panic!("an object");
        };
        assert!(matches!(entries[0].0, Cow::Borrowed("plain")));
        assert!(matches!(entries[0].1, Node::String(Cow::Borrowed("text"))));
        assert!(matches!(&entries[1].0, Cow::Owned(key) if key == "esc\"aped"));
        assert!(matches!(&entries[1].1, Node::String(Cow::Owned(value)) if value == "a\nb"));
    }

    #[test]
    fn reads_what_serde_json_values_read() {
        let cases = [
            r#"null"#,
            r#"[true, false, 0, -1, 1.5, -0.0, 1e300]"#,
            r#"9223372036854775807"#,
            r#"9223372036854775808"#,
            r#"-9223372036854775808"#,
            r#"{"a": {"b": ["x", {"c": null}]}, "d": "\u00e9\ud83d\ude00"}"#,
        ];
        for case in cases {
            let value: Value = serde_json::from_str(case).unwrap();
            let text = JsonText::parse(case).unwrap();
            assert_eq!(text.datum().kind(), (&value).kind(), "{case}");
            assert_eq!(text.datum().as_long(), (&value).as_long(), "{case}");
            assert_eq!(text.datum().as_double(), (&value).as_double(), "{case}");
            assert_eq!(text.datum().count(), (&value).count(), "{case}");
        }
        assert!(JsonText::parse("{\"a\": 1} x").is_err());
        assert!(JsonText::parse("{\"a\": }").is_err());
    }

    #[test]
    fn encodes_the_bytes_the_value_form_encodes() {
        let serializer = Serializer::from_schema_text(12, APPOINTMENT).unwrap();
        let value: Value = serde_json::from_str(APPOINTMENT_RECORD).unwrap();
        let text = JsonText::parse(APPOINTMENT_RECORD).unwrap();
        assert_eq!(
            serializer.encode(text.datum()).unwrap(),
            serializer.encode(&value).unwrap()
        );
        // Out of order, and invalid: the same bytes, the same error.
        let mut shuffled: Vec<(String, Value)> =
            value.as_object().unwrap().clone().into_iter().collect();
        shuffled.reverse();
        let shuffled = Value::Object(shuffled.into_iter().collect());
        let text_form = shuffled.to_string();
        assert_eq!(
            serializer
                .encode(JsonText::parse(&text_form).unwrap().datum())
                .unwrap(),
            serializer.encode(&value).unwrap()
        );
        let mut bad = value.clone();
        bad["facility"]["city"] = json!(7);
        let bad_text = bad.to_string();
        assert_eq!(
            serializer
                .encode(JsonText::parse(&bad_text).unwrap().datum())
                .unwrap_err()
                .to_string(),
            serializer.encode(&bad).unwrap_err().to_string()
        );
    }

    #[test]
    fn a_repeated_key_is_refused() {
        let serializer = Serializer::from_schema_text(
            1,
            r#"{"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}"#,
        )
        .unwrap();
        let text = JsonText::parse(r#"{"a": 1, "a": 2}"#).unwrap();
        let err = serializer.encode(text.datum()).unwrap_err();
        assert!(err.to_string().contains("more than once"), "{err}");
    }
}
