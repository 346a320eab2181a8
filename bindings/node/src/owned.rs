//! A copy of a JavaScript value that outlives the call that made it.
//!
//! A producer fetches its schemas and meets the brokers in the background,
//! so `produce` can be called before it is ready. Such a message is copied
//! here, on the JavaScript thread, and encoded by the start-up thread once
//! the schemas are known: the caller may change its object in the meantime
//! without changing what is sent. Once the producer is ready, values are
//! read from their tape in place instead ([`crate::tape`]).

use std::borrow::Cow;

use eventbus::avro::{Datum, DatumKind, RecordError};

/// Arrays and objects nest no deeper than the encoder goes.
const MAX_DEPTH: usize = 64;

pub enum OwnedDatum {
    Null,
    Boolean(bool),
    Integer(i64),
    Float(f64),
    String(String),
    Bytes(Vec<u8>),
    Array(Vec<OwnedDatum>),
    Object(Vec<(String, OwnedDatum)>),
    Timestamp(i128),
    /// What the encoder will refuse, kept so that it names the field.
    Other(&'static str),
}

impl OwnedDatum {
    /// Copies `value`. A value nested too deeply is cut off there and left
    /// for the encoder to refuse with its path.
    pub fn copy<D: Datum>(value: &D) -> Self {
        Self::copy_at(value, 0)
    }

    fn copy_at<D: Datum>(value: &D, depth: usize) -> Self {
        if depth > MAX_DEPTH {
            return OwnedDatum::Other("value nested too deeply");
        }
        match value.kind() {
            DatumKind::Null => OwnedDatum::Null,
            DatumKind::Boolean => value
                .as_bool()
                .map_or(OwnedDatum::Null, OwnedDatum::Boolean),
            DatumKind::Integer => match value.as_long() {
                Some(n) => OwnedDatum::Integer(n),
                None => OwnedDatum::Other("integer out of range"),
            },
            DatumKind::Float => OwnedDatum::Float(value.as_double().unwrap_or(f64::NAN)),
            DatumKind::String => {
                OwnedDatum::String(value.as_str().unwrap_or_default().into_owned())
            }
            DatumKind::Bytes => {
                OwnedDatum::Bytes(value.as_bytes().map(Cow::into_owned).unwrap_or_default())
            }
            DatumKind::Timestamp => match value.as_timestamp_nanos() {
                Some(nanos) => OwnedDatum::Timestamp(nanos),
                None => OwnedDatum::Other("invalid Date"),
            },
            DatumKind::Array => {
                let mut items = Vec::new();
                let _ = value.for_each_item(|item| {
                    items.push(Self::copy_at(&item, depth + 1));
                    Ok(())
                });
                OwnedDatum::Array(items)
            }
            DatumKind::Object => {
                let mut entries = Vec::new();
                let _ = value.for_each_entry(|key, item| {
                    entries.push((key.to_owned(), Self::copy_at(&item, depth + 1)));
                    Ok(())
                });
                OwnedDatum::Object(entries)
            }
            DatumKind::Other(name) => OwnedDatum::Other(name),
            // A tape holds no other host-native kinds.
            _ => OwnedDatum::Other("value"),
        }
    }
}

impl Datum for &OwnedDatum {
    fn kind(&self) -> DatumKind {
        match self {
            OwnedDatum::Null => DatumKind::Null,
            OwnedDatum::Boolean(_) => DatumKind::Boolean,
            OwnedDatum::Integer(_) => DatumKind::Integer,
            OwnedDatum::Float(_) => DatumKind::Float,
            OwnedDatum::String(_) => DatumKind::String,
            OwnedDatum::Bytes(_) => DatumKind::Bytes,
            OwnedDatum::Array(_) => DatumKind::Array,
            OwnedDatum::Object(_) => DatumKind::Object,
            OwnedDatum::Timestamp(_) => DatumKind::Timestamp,
            OwnedDatum::Other(name) => DatumKind::Other(name),
        }
    }

    fn as_bool(&self) -> Option<bool> {
        match self {
            OwnedDatum::Boolean(flag) => Some(*flag),
            _ => None,
        }
    }

    fn as_long(&self) -> Option<i64> {
        match self {
            OwnedDatum::Integer(n) => Some(*n),
            _ => None,
        }
    }

    fn as_double(&self) -> Option<f64> {
        match self {
            OwnedDatum::Integer(n) => Some(*n as f64),
            OwnedDatum::Float(n) => Some(*n),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<Cow<'_, str>> {
        match self {
            OwnedDatum::String(text) => Some(Cow::Borrowed(text)),
            _ => None,
        }
    }

    fn as_bytes(&self) -> Option<Cow<'_, [u8]>> {
        match self {
            OwnedDatum::Bytes(bytes) => Some(Cow::Borrowed(bytes)),
            _ => None,
        }
    }

    fn field(&self, name: &str) -> Option<Self> {
        match self {
            OwnedDatum::Object(entries) => entries
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value),
            _ => None,
        }
    }

    fn count(&self) -> Option<usize> {
        match self {
            OwnedDatum::Array(items) => Some(items.len()),
            OwnedDatum::Object(entries) => Some(entries.len()),
            _ => None,
        }
    }

    fn for_each_item<F>(&self, mut f: F) -> Result<(), RecordError>
    where
        F: FnMut(Self) -> Result<(), RecordError>,
    {
        if let OwnedDatum::Array(items) = self {
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
        if let OwnedDatum::Object(entries) = self {
            for (key, value) in entries {
                f(key, value)?;
            }
        }
        Ok(())
    }

    fn as_timestamp_nanos(&self) -> Option<i128> {
        match self {
            OwnedDatum::Timestamp(nanos) => Some(*nanos),
            _ => None,
        }
    }
}
