//! How the encoder reads a value the caller holds, and how the decoder builds one.
//!
//! The encoder never needs a tree of its own: it walks the caller's value
//! through [`Datum`], guided by the compiled schema. `serde_json::Value`
//! implements it here; each binding implements it over its host's objects
//! (Ruby Hash, Python dict, JS object), so no binding builds JSON text.
//!
//! Decoding is the mirror image: [`DatumBuilder`] receives each decoded value
//! and builds the host's own object. The default methods for logical types
//! render them as the same ISO strings the encoder accepts, so that a decoded
//! value encodes back to the same bytes.

use std::borrow::Cow;

use super::path::RecordError;

/// What a caller's value is, as far as choosing an Avro type is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatumKind {
    Null,
    Boolean,
    /// A whole number.
    Integer,
    /// A number with a fractional part (or a host float).
    Float,
    String,
    /// Host-native binary data (Ruby binary String, Python bytes, JS Buffer).
    Bytes,
    Array,
    /// A key/value object: a JSON object, Ruby Hash, Python dict, JS object.
    Object,
    /// A host-native calendar date.
    Date,
    /// A host-native time of day.
    Time,
    /// A host-native point in time with a zone (or UTC).
    Timestamp,
    /// A host-native date and time without a zone.
    LocalTimestamp,
    /// A host-native decimal number.
    Decimal,
    /// A host-native UUID.
    Uuid,
    /// Anything else; `describe` names it in errors.
    Other(&'static str),
}

impl DatumKind {
    /// A short name for error messages ("found null").
    pub fn describe(self) -> &'static str {
        match self {
            DatumKind::Null => "null",
            DatumKind::Boolean => "boolean",
            DatumKind::Integer => "integer",
            DatumKind::Float => "number",
            DatumKind::String => "string",
            DatumKind::Bytes => "bytes",
            DatumKind::Array => "array",
            DatumKind::Object => "object",
            DatumKind::Date => "date",
            DatumKind::Time => "time",
            DatumKind::Timestamp => "timestamp",
            DatumKind::LocalTimestamp => "local timestamp",
            DatumKind::Decimal => "decimal",
            DatumKind::Uuid => "uuid",
            DatumKind::Other(name) => name,
        }
    }
}

/// A value the caller holds, read in place by the encoder.
///
/// Implementations are cheap handles (a reference, a host object pointer):
/// `field` and the iteration methods hand out more of them.
pub trait Datum: Sized {
    fn kind(&self) -> DatumKind;

    fn as_bool(&self) -> Option<bool>;

    /// A whole number that fits in `i64`.
    fn as_long(&self) -> Option<i64>;

    /// Any number, as a double.
    fn as_double(&self) -> Option<f64>;

    /// Text.
    fn as_str(&self) -> Option<Cow<'_, str>>;

    /// Host-native binary data. JSON has none: bytes arrive there as strings
    /// of code points U+0000 to U+00FF.
    fn as_bytes(&self) -> Option<Cow<'_, [u8]>> {
        None
    }

    /// The value stored under `name` in an object, if present.
    fn field(&self, name: &str) -> Option<Self>;

    /// The number of items of an array, or of entries of an object.
    fn count(&self) -> Option<usize>;

    /// Calls `f` with each item of an array, in order.
    fn for_each_item<F>(&self, f: F) -> Result<(), RecordError>
    where
        F: FnMut(Self) -> Result<(), RecordError>;

    /// Calls `f` with each entry of an object, in the caller's order.
    fn for_each_entry<F>(&self, f: F) -> Result<(), RecordError>
    where
        F: FnMut(&str, Self) -> Result<(), RecordError>;

    /// A host-native date, as days since 1970-01-01.
    fn as_date_days(&self) -> Option<i32> {
        None
    }

    /// A host-native time of day, as nanoseconds since midnight.
    fn as_time_nanos(&self) -> Option<i64> {
        None
    }

    /// A host-native point in time (or, for `LocalTimestamp`, a wall-clock
    /// reading), as nanoseconds since 1970-01-01T00:00:00.
    fn as_timestamp_nanos(&self) -> Option<i128> {
        None
    }

    /// A host-native decimal, as its plain decimal text (`"-12.50"`).
    fn as_decimal_text(&self) -> Option<Cow<'_, str>> {
        None
    }
}

/// Receives decoded values and builds the caller's own representation.
///
/// Integers of every width arrive through `long`, floats through `double`.
/// The logical-type methods default to the ISO text the encoder accepts.
pub trait DatumBuilder {
    type Value;

    fn null(&mut self) -> Result<Self::Value, String>;
    fn boolean(&mut self, value: bool) -> Result<Self::Value, String>;
    fn long(&mut self, value: i64) -> Result<Self::Value, String>;
    fn double(&mut self, value: f64) -> Result<Self::Value, String>;
    fn string(&mut self, value: &str) -> Result<Self::Value, String>;
    fn bytes(&mut self, value: &[u8]) -> Result<Self::Value, String>;
    fn array(&mut self, items: Vec<Self::Value>) -> Result<Self::Value, String>;
    fn map(&mut self, entries: Vec<(String, Self::Value)>) -> Result<Self::Value, String>;
    fn record(&mut self, fields: Vec<(&str, Self::Value)>) -> Result<Self::Value, String>;

    fn enum_symbol(&mut self, symbol: &str) -> Result<Self::Value, String> {
        self.string(symbol)
    }

    fn fixed(&mut self, value: &[u8]) -> Result<Self::Value, String> {
        self.bytes(value)
    }

    fn date(&mut self, days: i32) -> Result<Self::Value, String> {
        self.string(&super::logical::format_date(days)?)
    }

    fn time(&mut self, value: i64, unit: TimeUnit) -> Result<Self::Value, String> {
        self.string(&super::logical::format_time(value, unit)?)
    }

    fn timestamp(&mut self, value: i64, unit: TimeUnit) -> Result<Self::Value, String> {
        self.string(&super::logical::format_timestamp(value, unit, true)?)
    }

    fn local_timestamp(&mut self, value: i64, unit: TimeUnit) -> Result<Self::Value, String> {
        self.string(&super::logical::format_timestamp(value, unit, false)?)
    }

    fn decimal(&mut self, unscaled: i128, scale: u32) -> Result<Self::Value, String> {
        self.string(&super::logical::format_decimal(unscaled, scale))
    }

    fn uuid(&mut self, text: &str) -> Result<Self::Value, String> {
        self.string(text)
    }
}

/// The unit of a time or timestamp logical type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    Millis,
    Micros,
    Nanos,
}

impl TimeUnit {
    /// Nanoseconds in one unit.
    pub fn nanos(self) -> i64 {
        match self {
            TimeUnit::Millis => 1_000_000,
            TimeUnit::Micros => 1_000,
            TimeUnit::Nanos => 1,
        }
    }
}
