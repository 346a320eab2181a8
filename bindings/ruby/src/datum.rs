//! Ruby values read in place by the core encoder ([`RubyDatum`]), and decoded
//! Avro built straight into Ruby objects ([`RubyBuilder`]). No JSON text is
//! made in either direction.
//!
//! Both run on a Ruby thread holding the GVL. Ruby's garbage collector sees
//! values on the machine stack but not in Rust heap vectors, so the builder
//! keeps everything it makes in one Ruby array until the result is returned.

use std::borrow::Cow;

use eventbus::avro::{Datum, DatumBuilder, DatumKind, RecordError, TimeUnit};
use magnus::r_hash::ForEach;
use magnus::value::ReprValue;
use magnus::{Float, Integer, RArray, RClass, RHash, RString, Ruby, Symbol, Value, prelude::*};

use crate::host;

/// 1970-01-01 as a Julian Day Number, the origin of Avro's `date`.
const UNIX_EPOCH_JD: i64 = 2_440_588;

/// A caller's Ruby value, as the encoder reads it.
#[derive(Clone, Copy)]
pub struct RubyDatum {
    value: Value,
}

impl RubyDatum {
    pub fn new(value: Value) -> Self {
        RubyDatum { value }
    }

    fn ruby() -> Ruby {
        // SAFETY: the encoder only runs inside a Ruby method call, on a Ruby
        // thread holding the GVL.
        unsafe { Ruby::get_unchecked() }
    }

    fn is_a(&self, class: RClass) -> bool {
        self.value.is_kind_of(class)
    }
}

impl Datum for RubyDatum {
    fn kind(&self) -> DatumKind {
        let ruby = Self::ruby();
        let value = self.value;
        if value.is_nil() {
            return DatumKind::Null;
        }
        if value.is_kind_of(ruby.class_true_class()) || value.is_kind_of(ruby.class_false_class()) {
            return DatumKind::Boolean;
        }
        if let Some(string) = RString::from_value(value) {
            return if string.enc_get() == ruby.ascii8bit_encindex() {
                DatumKind::Bytes
            } else {
                DatumKind::String
            };
        }
        if Integer::from_value(value).is_some() {
            return DatumKind::Integer;
        }
        if Float::from_value(value).is_some() {
            return DatumKind::Float;
        }
        if RHash::from_value(value).is_some() {
            return DatumKind::Object;
        }
        if RArray::from_value(value).is_some() {
            return DatumKind::Array;
        }
        if Symbol::from_value(value).is_some() {
            return DatumKind::String;
        }
        if self.is_a(ruby.class_time()) {
            return DatumKind::Timestamp;
        }
        let Ok(classes) = host::classes(&ruby) else {
            return DatumKind::Other("object");
        };
        if self.is_a(ruby.get_inner(classes.date_time)) {
            return DatumKind::Timestamp;
        }
        if self.is_a(ruby.get_inner(classes.date)) {
            return DatumKind::Date;
        }
        if self.is_a(ruby.get_inner(classes.big_decimal)) {
            return DatumKind::Decimal;
        }
        DatumKind::Other("object")
    }

    fn as_bool(&self) -> Option<bool> {
        let ruby = Self::ruby();
        if self.value.is_kind_of(ruby.class_true_class()) {
            Some(true)
        } else if self.value.is_kind_of(ruby.class_false_class()) {
            Some(false)
        } else {
            None
        }
    }

    fn as_long(&self) -> Option<i64> {
        Integer::from_value(self.value).and_then(|i| i.to_i64().ok())
    }

    fn as_double(&self) -> Option<f64> {
        if let Some(float) = Float::from_value(self.value) {
            return Some(float.to_f64());
        }
        let integer = Integer::from_value(self.value)?;
        match integer.to_i64() {
            Ok(whole) => Some(whole as f64),
            Err(_) => integer.funcall("to_f", ()).ok(),
        }
    }

    fn as_str(&self) -> Option<Cow<'_, str>> {
        if let Some(string) = RString::from_value(self.value) {
            // SAFETY: the string is reachable from the caller's argument for
            // the whole encode, and no Ruby code runs that could change it
            // while the slice is borrowed.
            let bytes: &[u8] = unsafe { &*(string.as_slice() as *const [u8]) };
            return std::str::from_utf8(bytes).ok().map(Cow::Borrowed);
        }
        Symbol::from_value(self.value).and_then(|symbol| symbol.name().ok())
    }

    fn as_bytes(&self) -> Option<Cow<'_, [u8]>> {
        let string = RString::from_value(self.value)?;
        if string.enc_get() != Self::ruby().ascii8bit_encindex() {
            return None;
        }
        // SAFETY: as in `as_str`.
        Some(Cow::Borrowed(unsafe {
            &*(string.as_slice() as *const [u8])
        }))
    }

    fn field(&self, name: &str) -> Option<Self> {
        let ruby = Self::ruby();
        let hash = RHash::from_value(self.value)?;
        hash.get(ruby.str_new(name))
            .or_else(|| hash.get(ruby.to_symbol(name)))
            .map(RubyDatum::new)
    }

    fn count(&self) -> Option<usize> {
        if let Some(array) = RArray::from_value(self.value) {
            return Some(array.len());
        }
        RHash::from_value(self.value).map(|hash| hash.len())
    }

    fn for_each_item<F>(&self, mut f: F) -> Result<(), RecordError>
    where
        F: FnMut(Self) -> Result<(), RecordError>,
    {
        let Some(array) = RArray::from_value(self.value) else {
            return Ok(());
        };
        let mut index = 0;
        while index < array.len() {
            let item: Value = array
                .entry(index as isize)
                .map_err(|err| RecordError::new(err.to_string()))?;
            f(RubyDatum::new(item))?;
            index += 1;
        }
        Ok(())
    }

    fn for_each_entry<F>(&self, mut f: F) -> Result<(), RecordError>
    where
        F: FnMut(&str, Self) -> Result<(), RecordError>,
    {
        let Some(hash) = RHash::from_value(self.value) else {
            return Ok(());
        };
        let mut failure = None;
        let iteration = hash.foreach(|key: Value, value: Value| {
            let name = match key_text(key) {
                Ok(name) => name,
                Err(err) => {
                    failure = Some(err);
                    return Ok(ForEach::Stop);
                }
            };
            match f(&name, RubyDatum::new(value)) {
                Ok(()) => Ok(ForEach::Continue),
                Err(err) => {
                    failure = Some(err);
                    Ok(ForEach::Stop)
                }
            }
        });
        if let Some(err) = failure {
            return Err(err);
        }
        iteration.map_err(|err| RecordError::new(err.to_string()))
    }

    fn as_date_days(&self) -> Option<i32> {
        let jd: i64 = self.value.funcall("jd", ()).ok()?;
        i32::try_from(jd - UNIX_EPOCH_JD).ok()
    }

    fn as_timestamp_nanos(&self) -> Option<i128> {
        let ruby = Self::ruby();
        let time: Value = if self.is_a(ruby.class_time()) {
            self.value
        } else {
            self.value.funcall("to_time", ()).ok()?
        };
        let seconds: i64 = time.funcall("to_i", ()).ok()?;
        let nanos: i64 = time.funcall("nsec", ()).ok()?;
        Some(i128::from(seconds) * 1_000_000_000 + i128::from(nanos))
    }

    fn as_decimal_text(&self) -> Option<Cow<'_, str>> {
        let text: String = self.value.funcall("to_s", ("F",)).ok()?;
        // BigDecimal writes a whole number as "12.0"; the core takes it as is.
        Some(Cow::Owned(text))
    }
}

/// A Hash key as text: a String or a Symbol.
fn key_text(key: Value) -> Result<String, RecordError> {
    if let Some(string) = RString::from_value(key) {
        return string
            .to_string()
            .map_err(|_| RecordError::new("a Hash key is not valid UTF-8 text"));
    }
    if let Some(symbol) = Symbol::from_value(key) {
        return symbol
            .name()
            .map(Cow::into_owned)
            .map_err(|err| RecordError::new(err.to_string()));
    }
    Err(RecordError::new(format!(
        "Hash keys must be Strings or Symbols, found {}",
        unsafe { key.classname() }
    )))
}

/// Builds Ruby objects from decoded Avro: Hashes with String keys, `Date`,
/// `Time` (UTC), `BigDecimal`, binary Strings for bytes.
pub struct RubyBuilder {
    ruby: Ruby,
    /// Every value made so far, so that none is collected while it sits in
    /// one of the core's vectors waiting for its parent.
    keep_alive: RArray,
}

impl RubyBuilder {
    pub fn new(ruby: &Ruby) -> Self {
        RubyBuilder {
            keep_alive: ruby.ary_new(),
            // SAFETY: the builder is made and used on this Ruby thread.
            ruby: unsafe { Ruby::get_unchecked() },
        }
    }

    /// The array holding what this builder made; keep it on the stack until
    /// the decoded value has been handed to Ruby.
    pub fn keep_alive(&self) -> RArray {
        self.keep_alive
    }

    fn keep(&mut self, value: Value) -> Result<Value, String> {
        self.keep_alive.push(value).map_err(|err| err.to_string())?;
        Ok(value)
    }

    fn call(
        &mut self,
        receiver: Value,
        method: &str,
        args: impl magnus::ArgList,
    ) -> Result<Value, String> {
        let value: Value = receiver
            .funcall(method, args)
            .map_err(|err| err.to_string())?;
        self.keep(value)
    }
}

impl DatumBuilder for RubyBuilder {
    type Value = Value;

    fn null(&mut self) -> Result<Value, String> {
        Ok(self.ruby.qnil().as_value())
    }

    fn boolean(&mut self, value: bool) -> Result<Value, String> {
        Ok(if value {
            self.ruby.qtrue().as_value()
        } else {
            self.ruby.qfalse().as_value()
        })
    }

    fn long(&mut self, value: i64) -> Result<Value, String> {
        let value = self.ruby.integer_from_i64(value).as_value();
        self.keep(value)
    }

    fn double(&mut self, value: f64) -> Result<Value, String> {
        let value = self.ruby.float_from_f64(value).as_value();
        self.keep(value)
    }

    fn string(&mut self, value: &str) -> Result<Value, String> {
        let value = self.ruby.str_new(value).as_value();
        self.keep(value)
    }

    fn bytes(&mut self, value: &[u8]) -> Result<Value, String> {
        let value = self
            .ruby
            .enc_str_new(value, self.ruby.ascii8bit_encoding())
            .as_value();
        self.keep(value)
    }

    fn array(&mut self, items: Vec<Value>) -> Result<Value, String> {
        let value = self.ruby.ary_new_from_values(&items).as_value();
        self.keep(value)
    }

    fn map(&mut self, entries: Vec<(String, Value)>) -> Result<Value, String> {
        let hash = self.ruby.hash_new();
        self.keep(hash.as_value())?;
        for (key, value) in entries {
            hash.aset(self.ruby.str_new(&key), value)
                .map_err(|err| err.to_string())?;
        }
        Ok(hash.as_value())
    }

    fn record(&mut self, fields: Vec<(&str, Value)>) -> Result<Value, String> {
        let hash = self.ruby.hash_new();
        self.keep(hash.as_value())?;
        for (key, value) in fields {
            hash.aset(self.ruby.str_new(key), value)
                .map_err(|err| err.to_string())?;
        }
        Ok(hash.as_value())
    }

    fn date(&mut self, days: i32) -> Result<Value, String> {
        let classes = host::classes(&self.ruby).map_err(|err| err.to_string())?;
        let date = self.ruby.get_inner(classes.date).as_value();
        self.call(date, "jd", (i64::from(days) + UNIX_EPOCH_JD,))
    }

    fn timestamp(&mut self, value: i64, unit: TimeUnit) -> Result<Value, String> {
        self.utc_time(value, unit)
    }

    fn local_timestamp(&mut self, value: i64, unit: TimeUnit) -> Result<Value, String> {
        // A wall-clock reading, given as a UTC Time with the same fields.
        self.utc_time(value, unit)
    }

    fn decimal(&mut self, unscaled: i128, scale: u32) -> Result<Value, String> {
        let text = eventbus::avro::logical::format_decimal(unscaled, scale);
        let kernel = self.ruby.module_kernel().as_value();
        self.call(kernel, "BigDecimal", (text,))
    }
}

impl RubyBuilder {
    fn utc_time(&mut self, value: i64, unit: TimeUnit) -> Result<Value, String> {
        let nanos = i128::from(value) * i128::from(unit.nanos());
        let seconds = nanos.div_euclid(1_000_000_000) as i64;
        let fraction = nanos.rem_euclid(1_000_000_000) as i64;
        let time_class = self.ruby.class_time().as_value();
        let time = self.call(
            time_class,
            "at",
            (seconds, fraction, self.ruby.to_symbol("nsec")),
        )?;
        self.call(time, "utc", ())
    }
}
