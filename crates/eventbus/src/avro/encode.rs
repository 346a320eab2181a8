//! Writes a caller's value as Avro binary by walking the compiled plan.
//!
//! Validation and encoding are one pass: every node checks the value it is
//! given and either appends its bytes or returns a [`RecordError`] naming
//! what it expected and what it found. Callers that need all-or-nothing
//! output truncate their buffer on error (see `Serializer::encode_into`).

use std::borrow::Cow;

use super::datum::{Datum, DatumKind, TimeUnit};
use super::logical;
use super::path::RecordError;
use super::plan::{Field, Node, NodeId, Plan, Record};

/// How deep records, arrays and maps may nest before we refuse the value.
/// Recursive schemas allow unbounded depth; host values may even be cyclic.
pub(crate) const MAX_DEPTH: usize = 64;

/// Appends `value` as a zig-zag varint.
#[inline]
pub(crate) fn put_long(out: &mut Vec<u8>, value: i64) {
    let z = ((value << 1) ^ (value >> 63)) as u64;
    // Lengths, counts, enum indexes and union branches: one byte.
    if z < 0x80 {
        out.push(z as u8);
    } else {
        put_varint(out, z);
    }
}

/// Appends a varint of two bytes or more, gathered first so that the
/// vector is grown once.
fn put_varint(out: &mut Vec<u8>, mut z: u64) {
    let mut bytes = [0u8; 10];
    let mut len = 0;
    while z >= 0x80 {
        bytes[len] = (z as u8) | 0x80;
        z >>= 7;
        len += 1;
    }
    bytes[len] = z as u8;
    out.extend_from_slice(&bytes[..=len]);
}

#[inline]
pub(crate) fn put_blob(out: &mut Vec<u8>, bytes: &[u8]) {
    put_long(out, bytes.len() as i64);
    out.extend_from_slice(bytes);
}

fn mismatch(expected: &str, found: DatumKind) -> RecordError {
    RecordError::new(format!("expected {expected}, found {}", found.describe()))
}

impl Plan {
    /// Appends the Avro binary encoding of `datum`. On error, `out` may hold
    /// a partial encoding that the caller must discard.
    pub fn encode<D: Datum>(&self, datum: &D, out: &mut Vec<u8>) -> Result<(), RecordError> {
        self.write(self.root, datum, out, 0)
    }

    pub(crate) fn encode_node<D: Datum>(
        &self,
        id: NodeId,
        datum: &D,
        out: &mut Vec<u8>,
    ) -> Result<(), RecordError> {
        self.write(id, datum, out, 0)
    }

    pub(crate) fn write<D: Datum>(
        &self,
        id: NodeId,
        datum: &D,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), RecordError> {
        match &self.nodes[id] {
            Node::Null => match datum.kind() {
                DatumKind::Null => Ok(()),
                found => Err(mismatch("null", found)),
            },
            Node::Boolean => {
                let value = datum
                    .as_bool()
                    .ok_or_else(|| mismatch("boolean", datum.kind()))?;
                out.push(u8::from(value));
                Ok(())
            }
            Node::Int => {
                let value = whole_number(datum, "int")?;
                let value = i32::try_from(value).map_err(|_| {
                    RecordError::new(format!("{value} is out of range for int (32-bit)"))
                })?;
                put_long(out, i64::from(value));
                Ok(())
            }
            Node::Long => {
                put_long(out, whole_number(datum, "long")?);
                Ok(())
            }
            Node::Float => {
                let value = any_number(datum, "float")?;
                let narrow = value as f32;
                if value.is_finite() && !narrow.is_finite() {
                    return Err(RecordError::new(format!(
                        "{value} is out of range for float (32-bit)"
                    )));
                }
                out.extend_from_slice(&narrow.to_le_bytes());
                Ok(())
            }
            Node::Double => {
                out.extend_from_slice(&any_number(datum, "double")?.to_le_bytes());
                Ok(())
            }
            Node::String => {
                let text = datum
                    .as_str()
                    .ok_or_else(|| mismatch("string", datum.kind()))?;
                put_blob(out, text.as_bytes());
                Ok(())
            }
            Node::Bytes => {
                let bytes = binary(datum, "bytes")?;
                put_blob(out, &bytes);
                Ok(())
            }
            Node::Fixed(named) => {
                let bytes = binary(datum, &named.name)?;
                if bytes.len() != named.size {
                    return Err(RecordError::new(format!(
                        "expected exactly {} bytes for fixed {}, found {}",
                        named.size,
                        named.name,
                        bytes.len()
                    )));
                }
                out.extend_from_slice(&bytes);
                Ok(())
            }
            Node::Enum { name, symbols } => {
                let symbol = datum
                    .as_str()
                    .ok_or_else(|| mismatch(&format!("a symbol of enum {name}"), datum.kind()))?;
                let index = symbols
                    .iter()
                    .position(|s| **s == *symbol)
                    .ok_or_else(|| unknown_symbol(name, symbols, &symbol))?;
                put_long(out, index as i64);
                Ok(())
            }
            Node::Array(items) => self.write_array(*items, datum, out, depth),
            Node::Map(values) => self.write_map(*values, datum, out, depth),
            Node::Record(record) => self.write_record(record, datum, out, depth),
            Node::Union(branches) => self.write_union(branches, datum, out, depth),
            Node::Date => {
                put_long(out, i64::from(date_days(datum)?));
                Ok(())
            }
            Node::Time(unit) => {
                let value = self.time_value(*unit, datum)?;
                if *unit == TimeUnit::Millis && i32::try_from(value).is_err() {
                    return Err(RecordError::new(format!(
                        "{value} is out of range for time-millis"
                    )));
                }
                put_long(out, value);
                Ok(())
            }
            Node::Timestamp(unit) => {
                let value = instant(datum, *unit, DatumKind::Timestamp, |text| {
                    logical::parse_timestamp(text)
                })?;
                put_long(out, value);
                Ok(())
            }
            Node::LocalTimestamp(unit) => {
                let value = instant(datum, *unit, DatumKind::LocalTimestamp, |text| {
                    logical::parse_local_timestamp(text)
                })?;
                put_long(out, value);
                Ok(())
            }
            Node::Decimal {
                precision,
                scale,
                fixed,
            } => {
                let text = decimal_text(datum)?;
                let unscaled =
                    logical::parse_decimal(&text, *precision, *scale).map_err(RecordError::new)?;
                match fixed {
                    None => put_blob(out, &logical::decimal_bytes(unscaled)),
                    Some(named) => out.extend_from_slice(
                        &logical::decimal_fixed(unscaled, named.size).map_err(RecordError::new)?,
                    ),
                }
                Ok(())
            }
            Node::Uuid { fixed } => {
                let text = match datum.kind() {
                    DatumKind::String | DatumKind::Uuid => datum.as_str(),
                    _ => None,
                }
                .ok_or_else(|| mismatch("uuid", datum.kind()))?;
                let bytes = logical::parse_uuid(&text).map_err(RecordError::new)?;
                match fixed {
                    None => put_blob(out, text.as_bytes()),
                    Some(_) => out.extend_from_slice(&bytes),
                }
                Ok(())
            }
        }
    }

    fn write_array<D: Datum>(
        &self,
        items: NodeId,
        datum: &D,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), RecordError> {
        if datum.kind() != DatumKind::Array {
            return Err(mismatch("array", datum.kind()));
        }
        let depth = deeper(depth)?;
        let len = datum.count().unwrap_or(0);
        if len > 0 {
            put_long(out, len as i64);
            let mut index = 0;
            datum.for_each_item(|item| {
                let result = self.write(items, &item, out, depth);
                let at = index;
                index += 1;
                result.map_err(|err| err.in_item(at))
            })?;
        }
        out.push(0);
        Ok(())
    }

    fn write_map<D: Datum>(
        &self,
        values: NodeId,
        datum: &D,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), RecordError> {
        if datum.kind() != DatumKind::Object {
            return Err(mismatch("map (an object)", datum.kind()));
        }
        let depth = deeper(depth)?;
        let len = datum.count().unwrap_or(0);
        if len > 0 {
            put_long(out, len as i64);
            datum.for_each_entry(|key, value| {
                put_blob(out, key.as_bytes());
                self.write(values, &value, out, depth)
                    .map_err(|err| err.in_entry(key))
            })?;
        }
        out.push(0);
        Ok(())
    }

    fn write_record<D: Datum>(
        &self,
        record: &Record,
        datum: &D,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), RecordError> {
        if datum.kind() != DatumKind::Object {
            return Err(mismatch(
                &format!("record {} (an object)", record.name),
                datum.kind(),
            ));
        }
        let depth = deeper(depth)?;
        let mark = out.len();
        match self.write_fields_in_order(record, datum, out, depth) {
            Some(result) => result,
            None => {
                out.truncate(mark);
                self.write_fields_by_name(record, datum, out, depth)
            }
        }
    }

    /// The fast path for the common case of an object whose keys come in the
    /// schema's field order: one pass over its entries, comparing each key
    /// with the next field's name, with no hashing. Fields left out of the
    /// object take their defaults. Returns `None`, having written an
    /// unspecified prefix, as soon as the keys are not in schema order.
    fn write_fields_in_order<D: Datum>(
        &self,
        record: &Record,
        datum: &D,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Option<Result<(), RecordError>> {
        let mut next = 0;
        let mut in_order = true;
        let walked = datum.for_each_entry(|key, value| {
            loop {
                let Some(field) = record.fields.get(next) else {
                    // A key past the last field: unknown, or a repeat.
                    in_order = false;
                    return Err(RecordError::new(String::new()));
                };
                next += 1;
                if same_name(&field.name, key) {
                    return self
                        .write(field.node, &value, out, depth)
                        .map_err(|err| err.in_field(&field.name));
                }
                // The object skips this field: fine if it has a default
                // and really is absent, rather than merely out of order.
                match &field.default {
                    Some(default) if datum.field(&field.name).is_none() => {
                        out.extend_from_slice(default);
                    }
                    _ => {
                        in_order = false;
                        return Err(RecordError::new(String::new()));
                    }
                }
            }
        });
        if !in_order {
            return None;
        }
        if let Err(err) = walked {
            return Some(Err(err));
        }
        for field in &record.fields[next..] {
            match &field.default {
                Some(default) => out.extend_from_slice(default),
                None => return Some(Err(self.missing_field(field))),
            }
        }
        Some(Ok(()))
    }

    /// The general path: each field looked up by name, in schema order.
    fn write_fields_by_name<D: Datum>(
        &self,
        record: &Record,
        datum: &D,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), RecordError> {
        let mut present = 0;
        for field in record.fields.iter() {
            match datum.field(&field.name) {
                Some(value) => {
                    present += 1;
                    self.write(field.node, &value, out, depth)
                        .map_err(|err| err.in_field(&field.name))?;
                }
                None => match &field.default {
                    Some(default) => out.extend_from_slice(default),
                    None => return Err(self.missing_field(field)),
                },
            }
        }
        // Extra keys would be dropped on the wire without a word: refuse them.
        if datum.count().is_some_and(|len| len > present) {
            return Err(self.unknown_field(record, datum));
        }
        Ok(())
    }

    pub(crate) fn missing_field(&self, field: &Field) -> RecordError {
        RecordError::new(format!(
            "missing field of type {} with no default; add it to the record",
            self.describe(field.node)
        ))
        .in_field(&field.name)
    }

    /// Why an object has more entries than the fields it filled: a key the
    /// record lacks, or one of its fields given more than once (a repeated
    /// key in JSON text, or a Ruby hash with the name as a string and as a
    /// symbol).
    fn unknown_field<D: Datum>(&self, record: &Record, datum: &D) -> RecordError {
        let mut unknown = None;
        let mut seen: Vec<String> = Vec::new();
        let mut repeated = None;
        let _ = datum.for_each_entry(|key, _| {
            if !record.fields.iter().any(|f| *f.name == *key) {
                unknown.get_or_insert_with(|| key.to_string());
            } else if seen.iter().any(|name| name == key) {
                repeated.get_or_insert_with(|| key.to_string());
            } else {
                seen.push(key.to_string());
            }
            Ok(())
        });
        match (unknown, repeated) {
            (Some(key), _) => RecordError::new(format!(
                "unknown field, not in record {}; remove it or use a schema that has it",
                record.name
            ))
            .in_field(&key),
            (None, Some(key)) => RecordError::new("given more than once; keep one").in_field(&key),
            (None, None) => RecordError::new(format!(
                "a field of record {} is given more than once (as a string and as a symbol?)",
                record.name
            )),
        }
    }

    /// Chooses a union branch: the wrapped form `{"type name": value}` when
    /// the key names a branch, otherwise the first branch the bare value fits.
    fn write_union<D: Datum>(
        &self,
        branches: &[NodeId],
        datum: &D,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), RecordError> {
        let kind = datum.kind();
        let mark = out.len();

        let mut wrapped_error = None;
        if kind == DatumKind::Object && datum.count() == Some(1) {
            let mut wrapped = None;
            datum.for_each_entry(|key, value| {
                wrapped = branches
                    .iter()
                    .position(|&b| self.branch_name(b) == key)
                    .map(|index| (index, value));
                Ok(())
            })?;
            if let Some((index, value)) = wrapped {
                put_long(out, index as i64);
                match self.write(branches[index], &value, out, depth) {
                    Ok(()) => return Ok(()),
                    Err(err) => {
                        out.truncate(mark);
                        wrapped_error = Some(err);
                    }
                }
            }
        }

        let mut candidates = branches
            .iter()
            .enumerate()
            .filter(|&(_, &b)| self.accepts(b, kind))
            .peekable();
        let mut first_error = None;
        while let Some((index, &branch)) = candidates.next() {
            put_long(out, index as i64);
            match self.write(branch, datum, out, depth) {
                Ok(()) => return Ok(()),
                Err(err) => {
                    out.truncate(mark);
                    if candidates.peek().is_none() && first_error.is_none() {
                        // The only branch for this kind: its own error is the clearest.
                        return Err(wrapped_error.unwrap_or(err));
                    }
                    first_error.get_or_insert((branch, err));
                }
            }
        }
        if let Some(err) = wrapped_error {
            return Err(err);
        }
        let union = self.describe_union(branches);
        Err(match first_error {
            Some((branch, err)) => RecordError::new(format!(
                "value fits no branch of {union}; as {}: {}",
                self.describe(branch),
                err.problem()
            )),
            None => RecordError::new(format!("expected {union}, found {}", kind.describe())),
        })
    }

    fn describe_union(&self, branches: &[NodeId]) -> String {
        let names: Vec<String> = branches.iter().map(|&b| self.describe(b)).collect();
        format!("one of [{}]", names.join(", "))
    }

    /// Whether a value of `kind` could be written as node `id`; used to pick
    /// union branches before trying them.
    fn accepts(&self, id: NodeId, kind: DatumKind) -> bool {
        use DatumKind as K;
        match &self.nodes[id] {
            Node::Null => kind == K::Null,
            Node::Boolean => kind == K::Boolean,
            Node::Int | Node::Long => matches!(kind, K::Integer | K::Float),
            Node::Float | Node::Double => matches!(kind, K::Integer | K::Float | K::String),
            Node::String | Node::Enum { .. } => kind == K::String,
            Node::Bytes | Node::Fixed(_) => matches!(kind, K::String | K::Bytes),
            Node::Array(_) => kind == K::Array,
            Node::Map(_) | Node::Record(_) => kind == K::Object,
            Node::Union(_) => false,
            Node::Date => matches!(kind, K::Integer | K::String | K::Date),
            Node::Time(_) => matches!(kind, K::Integer | K::String | K::Time),
            Node::Timestamp(_) => matches!(kind, K::Integer | K::String | K::Timestamp),
            Node::LocalTimestamp(_) => {
                matches!(kind, K::Integer | K::String | K::LocalTimestamp)
            }
            Node::Decimal { .. } => matches!(kind, K::Integer | K::Float | K::String | K::Decimal),
            Node::Uuid { .. } => matches!(kind, K::String | K::Uuid),
        }
    }

    fn time_value<D: Datum>(&self, unit: TimeUnit, datum: &D) -> Result<i64, RecordError> {
        let nanos = match datum.kind() {
            DatumKind::String => {
                let nanos = logical::parse_time(&datum.as_str().unwrap_or_default())
                    .map_err(RecordError::new)?;
                return logical::nanos_to_unit_exact(i128::from(nanos), unit)
                    .map_err(RecordError::new);
            }
            DatumKind::Time => datum.as_time_nanos(),
            _ => return whole_number(datum, "time of day (a number or HH:MM:SS.fff)"),
        };
        let nanos = nanos.ok_or_else(|| mismatch("time of day", datum.kind()))?;
        logical::nanos_to_unit_floor(i128::from(nanos), unit).map_err(RecordError::new)
    }
}

/// Days since 1970-01-01 from a host date, `YYYY-MM-DD` text or a number.
fn date_days<D: Datum>(datum: &D) -> Result<i32, RecordError> {
    match datum.kind() {
        DatumKind::Date => datum
            .as_date_days()
            .ok_or_else(|| mismatch("date", DatumKind::Date)),
        DatumKind::String => {
            logical::parse_date(&datum.as_str().unwrap_or_default()).map_err(RecordError::new)
        }
        _ => {
            let days = whole_number(datum, "date (days or YYYY-MM-DD)")?;
            i32::try_from(days)
                .map_err(|_| RecordError::new(format!("{days} days is out of range for date")))
        }
    }
}

fn deeper(depth: usize) -> Result<usize, RecordError> {
    if depth >= MAX_DEPTH {
        Err(RecordError::new(format!(
            "value nests deeper than {MAX_DEPTH} levels"
        )))
    } else {
        Ok(depth + 1)
    }
}

/// A whole number, accepting floats that have no fractional part.
fn whole_number<D: Datum>(datum: &D, expected: &str) -> Result<i64, RecordError> {
    match datum.kind() {
        DatumKind::Integer => datum.as_long().ok_or_else(|| {
            RecordError::new(format!("integer is out of range for {expected} (64-bit)"))
        }),
        DatumKind::Float => match datum.as_double() {
            Some(v) if v.fract() == 0.0 && v >= -(2f64.powi(63)) && v < 2f64.powi(63) => {
                Ok(v as i64)
            }
            Some(v) => Err(RecordError::new(format!(
                "expected {expected}, found number {v} with a fractional part or out of range"
            ))),
            None => Err(mismatch(expected, datum.kind())),
        },
        found => Err(mismatch(expected, found)),
    }
}

/// Any number; the strings `NaN`, `Infinity` and `-Infinity` stand for the
/// values JSON cannot write.
fn any_number<D: Datum>(datum: &D, expected: &str) -> Result<f64, RecordError> {
    match datum.kind() {
        DatumKind::Integer | DatumKind::Float => datum
            .as_double()
            .ok_or_else(|| mismatch(expected, datum.kind())),
        DatumKind::String => match datum.as_str().as_deref() {
            Some("NaN") => Ok(f64::NAN),
            Some("Infinity") => Ok(f64::INFINITY),
            Some("-Infinity") => Ok(f64::NEG_INFINITY),
            _ => Err(mismatch(expected, DatumKind::String)),
        },
        found => Err(mismatch(expected, found)),
    }
}

/// Host binary data, or a string of code points U+0000 to U+00FF, one per byte.
fn binary<'d, D: Datum>(datum: &'d D, expected: &str) -> Result<Cow<'d, [u8]>, RecordError> {
    if let Some(bytes) = datum.as_bytes() {
        return Ok(bytes);
    }
    let text = match datum.kind() {
        DatumKind::String => datum.as_str(),
        _ => None,
    }
    .ok_or_else(|| mismatch(expected, datum.kind()))?;
    if text.is_ascii() {
        return Ok(match text {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        });
    }
    text.chars()
        .map(|c| {
            u8::try_from(u32::from(c)).map_err(|_| {
                RecordError::new(format!(
                    "character U+{:04X} cannot stand for a byte; bytes are written as \
                     characters U+0000 to U+00FF",
                    u32::from(c)
                ))
            })
        })
        .collect::<Result<Vec<u8>, _>>()
        .map(Cow::Owned)
}

fn unknown_symbol(name: &str, symbols: &[Box<str>], symbol: &str) -> RecordError {
    let allowed: Vec<&str> = symbols.iter().map(|s| &**s).collect();
    let shown: String = symbol.chars().take(64).collect();
    RecordError::new(format!(
        "unknown symbol {shown:?} for enum {name}; expected one of {}",
        allowed.join(", ")
    ))
}

/// A point in time as a whole number in `unit`, from an integer already in
/// that unit, a string, or a host-native value of `native` kind.
fn instant<D: Datum>(
    datum: &D,
    unit: TimeUnit,
    native: DatumKind,
    parse: impl Fn(&str) -> Result<i128, String>,
) -> Result<i64, RecordError> {
    let kind = datum.kind();
    if kind == DatumKind::String {
        let nanos = parse(&datum.as_str().unwrap_or_default()).map_err(RecordError::new)?;
        return logical::nanos_to_unit_exact(nanos, unit).map_err(RecordError::new);
    }
    if kind == native {
        let nanos = datum
            .as_timestamp_nanos()
            .ok_or_else(|| mismatch(native.describe(), kind))?;
        return logical::nanos_to_unit_floor(nanos, unit).map_err(RecordError::new);
    }
    let what = if native == DatumKind::Timestamp {
        "timestamp (a number or an RFC 3339 string with a zone)"
    } else {
        "local timestamp (a number or a date-time without a zone)"
    };
    whole_number(datum, what)
}

fn decimal_text<D: Datum>(datum: &D) -> Result<Cow<'_, str>, RecordError> {
    let text = match datum.kind() {
        DatumKind::String => datum.as_str(),
        DatumKind::Decimal => datum.as_decimal_text(),
        DatumKind::Integer => datum.as_long().map(|v| Cow::Owned(v.to_string())),
        DatumKind::Float => match datum.as_double() {
            // Display prints the shortest text that reads back as the same
            // double, so 12.34 stays "12.34" rather than its binary expansion.
            Some(v) if v.is_finite() => Some(Cow::Owned(v.to_string())),
            _ => None,
        },
        _ => None,
    };
    text.ok_or_else(|| mismatch("decimal (a number or a numeric string)", datum.kind()))
}

/// Whether a key is a field's name. Names are short, and a call into
/// `memcmp` for each key costs more than comparing them here: up to 16
/// bytes are compared as two words each, overlapping when shorter.
#[inline]
pub(crate) fn same_name(name: &str, key: &str) -> bool {
    let (a, b) = (name.as_bytes(), key.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |bytes: &[u8], at: usize| {
        let mut word = [0; 8];
        word.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(word)
    };
    let half = |bytes: &[u8], at: usize| {
        let mut half = [0; 4];
        half.copy_from_slice(&bytes[at..at + 4]);
        u32::from_le_bytes(half)
    };
    match n {
        0..4 => a == b,
        4..8 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::same_name;

    #[test]
    fn names_match_only_byte_for_byte() {
        for len in 0..24 {
            let name: String = (0..len).map(|i| char::from(b'a' + i as u8)).collect();
            assert!(same_name(&name, &name.clone()));
            assert!(!same_name(&name, &format!("{name}x")));
            assert!(!same_name(&format!("{name}x"), &name));
            for at in 0..len {
                let mut other = name.clone().into_bytes();
                other[at] = b'Z';
                let other = String::from_utf8(other).unwrap();
                assert!(!same_name(&name, &other), "{name} / {other}");
            }
        }
    }
}
