//! Values in natural JSON form: `serde_json::Value` as a [`Datum`] for the
//! encoder, and [`JsonBuilder`] to decode into it.
//!
//! This is the form the CLI and the C API take. Bytes travel as strings of
//! code points U+0000 to U+00FF; floats JSON cannot write (`NaN`,
//! `Infinity`, `-Infinity`) travel as those strings.

use std::borrow::Cow;

use serde_json::{Map, Number, Value};

use super::datum::{Datum, DatumBuilder, DatumKind};
use super::path::RecordError;

impl Datum for &Value {
    fn kind(&self) -> DatumKind {
        match self {
            Value::Null => DatumKind::Null,
            Value::Bool(_) => DatumKind::Boolean,
            Value::Number(n) if n.is_f64() => DatumKind::Float,
            Value::Number(_) => DatumKind::Integer,
            Value::String(_) => DatumKind::String,
            Value::Array(_) => DatumKind::Array,
            Value::Object(_) => DatumKind::Object,
        }
    }

    fn as_bool(&self) -> Option<bool> {
        Value::as_bool(self)
    }

    fn as_long(&self) -> Option<i64> {
        Value::as_i64(self)
    }

    fn as_double(&self) -> Option<f64> {
        Value::as_f64(self)
    }

    fn as_str(&self) -> Option<Cow<'_, str>> {
        Value::as_str(self).map(Cow::Borrowed)
    }

    fn field(&self, name: &str) -> Option<Self> {
        self.as_object()?.get(name)
    }

    fn count(&self) -> Option<usize> {
        match self {
            Value::Array(items) => Some(items.len()),
            Value::Object(entries) => Some(entries.len()),
            _ => None,
        }
    }

    fn for_each_item<F>(&self, mut f: F) -> Result<(), RecordError>
    where
        F: FnMut(Self) -> Result<(), RecordError>,
    {
        if let Value::Array(items) = self {
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
        if let Value::Object(entries) = self {
            for (key, value) in entries {
                f(key, value)?;
            }
        }
        Ok(())
    }
}

/// Builds natural JSON from decoded Avro.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonBuilder;

impl DatumBuilder for JsonBuilder {
    type Value = Value;

    fn null(&mut self) -> Result<Value, String> {
        Ok(Value::Null)
    }

    fn boolean(&mut self, value: bool) -> Result<Value, String> {
        Ok(Value::Bool(value))
    }

    fn long(&mut self, value: i64) -> Result<Value, String> {
        Ok(Value::from(value))
    }

    fn double(&mut self, value: f64) -> Result<Value, String> {
        Ok(match Number::from_f64(value) {
            Some(n) => Value::Number(n),
            None if value.is_nan() => Value::from("NaN"),
            None if value > 0.0 => Value::from("Infinity"),
            None => Value::from("-Infinity"),
        })
    }

    fn string(&mut self, value: &str) -> Result<Value, String> {
        Ok(Value::from(value))
    }

    fn bytes(&mut self, value: &[u8]) -> Result<Value, String> {
        Ok(Value::String(
            value.iter().map(|&b| char::from(b)).collect(),
        ))
    }

    fn array(&mut self, items: Vec<Value>) -> Result<Value, String> {
        Ok(Value::Array(items))
    }

    fn map(&mut self, entries: Vec<(String, Value)>) -> Result<Value, String> {
        Ok(Value::Object(entries.into_iter().collect::<Map<_, _>>()))
    }

    fn record(&mut self, fields: Vec<(&str, Value)>) -> Result<Value, String> {
        Ok(Value::Object(
            fields
                .into_iter()
                .map(|(name, value)| (name.to_string(), value))
                .collect(),
        ))
    }
}
