//! Python values read in place by the core encoder ([`PyDatum`]), and
//! decoded Avro built straight into Python objects ([`PyBuilder`]). No JSON
//! text is made in either direction.
//!
//! Both run on a thread attached to the interpreter (holding the GIL), for
//! the length of one `encode`, `decode` or `produce` call.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::c_char;
use std::mem::ManuallyDrop;

use eventbus::avro::{Datum, DatumBuilder, DatumKind, RecordError, TimeUnit};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple,
};
use pyo3::{ffi, intern};

use crate::host::{self, Host};

/// `date(1970, 1, 1).toordinal()`: the proleptic Gregorian ordinal of Avro's
/// day zero.
const UNIX_EPOCH_ORDINAL: i64 = 719_163;

const MICROS_PER_DAY: i64 = 86_400_000_000;

unsafe extern "C" {
    // The UTF-8 buffer CPython caches inside a str. It joined the stable
    // ABI in 3.10 and is exported by every CPython 3.x, so a wheel for 3.9
    // and newer can call it; pyo3 only offers a copying path for 3.9.
    fn PyUnicode_AsUTF8AndSize(
        unicode: *mut ffi::PyObject,
        size: *mut ffi::Py_ssize_t,
    ) -> *const c_char;
}

/// The text of a Python `str`, borrowed from the object; `None` for text
/// that has no UTF-8 form (lone surrogates).
fn utf8<'a>(string: &'a Bound<'_, PyString>) -> Option<&'a str> {
    let mut size: ffi::Py_ssize_t = 0;
    // SAFETY: `string` is a live str; the buffer it returns is owned by the
    // str and lives as long as the borrow of `string`.
    unsafe {
        let data = PyUnicode_AsUTF8AndSize(string.as_ptr(), &mut size);
        if data.is_null() {
            // The UnicodeEncodeError it set is replaced by the encoder's own
            // message with the field path.
            let _ = PyErr::take(string.py());
            return None;
        }
        let bytes = std::slice::from_raw_parts(data.cast::<u8>(), size as usize);
        Some(std::str::from_utf8_unchecked(bytes))
    }
}

thread_local! {
    /// Record field names as Python strings, made once per thread: looking
    /// a field up by a cached (and so already hashed) str is several times
    /// cheaper than by a new one. Never dropped, so that no Python object is
    /// released when a thread ends without the GIL.
    static FIELD_NAMES: ManuallyDrop<RefCell<HashMap<Box<str>, Py<PyString>>>> =
        ManuallyDrop::new(RefCell::new(HashMap::new()));
}

/// `name` as a Python str, from the per-thread cache.
fn field_name<'py>(py: Python<'py>, name: &str) -> Bound<'py, PyString> {
    FIELD_NAMES.with(|names| match names.try_borrow_mut() {
        Ok(mut names) => {
            if let Some(cached) = names.get(name) {
                return cached.bind(py).clone();
            }
            let made = PyString::intern(py, name);
            names.insert(name.into(), made.clone().unbind());
            made
        }
        Err(_) => PyString::new(py, name),
    })
}

/// A caller's Python value, as the encoder reads it.
#[derive(Clone)]
pub struct PyDatum<'py> {
    value: Bound<'py, PyAny>,
}

impl<'py> PyDatum<'py> {
    pub fn new(value: Bound<'py, PyAny>) -> Self {
        PyDatum { value }
    }

    fn host(&self) -> Option<&'py Host> {
        host::get(self.value.py()).ok()
    }

    fn int_attribute(
        &self,
        target: &Bound<'py, PyAny>,
        name: &Bound<'py, PyString>,
    ) -> Option<i64> {
        target.getattr(name).ok()?.extract::<i64>().ok()
    }

    fn is_instance(&self, class: &Py<pyo3::types::PyType>) -> bool {
        let class = class.bind(self.value.py());
        self.value.get_type().is(class) || self.value.is_instance(class).unwrap_or(false)
    }
}

impl Datum for PyDatum<'_> {
    fn kind(&self) -> DatumKind {
        let value = &self.value;
        if value.is_none() {
            return DatumKind::Null;
        }
        if value.is_instance_of::<PyString>() {
            return DatumKind::String;
        }
        // bool before int: True is an int to Python, not to Avro.
        if value.is_instance_of::<PyBool>() {
            return DatumKind::Boolean;
        }
        if value.is_instance_of::<PyInt>() {
            return DatumKind::Integer;
        }
        if value.is_instance_of::<PyDict>() {
            return DatumKind::Object;
        }
        if value.is_instance_of::<PyFloat>() {
            return DatumKind::Float;
        }
        if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
            return DatumKind::Array;
        }
        if value.is_instance_of::<PyBytes>() || value.is_instance_of::<PyByteArray>() {
            return DatumKind::Bytes;
        }
        let Some(host) = self.host() else {
            return DatumKind::Other("object");
        };
        // datetime before date: a datetime is a date to Python.
        if self.is_instance(&host.datetime) {
            let naive = value
                .call_method0(intern!(value.py(), "utcoffset"))
                .map(|offset| offset.is_none())
                .unwrap_or(true);
            return if naive {
                DatumKind::LocalTimestamp
            } else {
                DatumKind::Timestamp
            };
        }
        if self.is_instance(&host.date) {
            return DatumKind::Date;
        }
        if self.is_instance(&host.decimal) {
            return DatumKind::Decimal;
        }
        if self.is_instance(&host.uuid) {
            return DatumKind::Uuid;
        }
        if self.is_instance(&host.time) {
            return DatumKind::Time;
        }
        DatumKind::Other("object of an unsupported type")
    }

    fn as_bool(&self) -> Option<bool> {
        self.value
            .cast::<PyBool>()
            .ok()
            .map(|boolean| boolean.is_true())
    }

    fn as_long(&self) -> Option<i64> {
        if self.value.is_instance_of::<PyBool>() {
            return None;
        }
        self.value.cast::<PyInt>().ok()?.extract::<i64>().ok()
    }

    fn as_double(&self) -> Option<f64> {
        if let Ok(float) = self.value.cast::<PyFloat>() {
            return Some(float.value());
        }
        if self.value.is_instance_of::<PyBool>() {
            return None;
        }
        self.value.cast::<PyInt>().ok()?.extract::<f64>().ok()
    }

    fn as_str(&self) -> Option<Cow<'_, str>> {
        if let Ok(string) = self.value.cast::<PyString>() {
            return utf8(string).map(Cow::Borrowed);
        }
        let host = self.host()?;
        if self.is_instance(&host.uuid) {
            return self
                .value
                .str()
                .ok()?
                .to_cow()
                .ok()
                .map(|t| Cow::Owned(t.into_owned()));
        }
        None
    }

    fn as_bytes(&self) -> Option<Cow<'_, [u8]>> {
        if let Ok(bytes) = self.value.cast::<PyBytes>() {
            return Some(Cow::Borrowed(bytes.as_bytes()));
        }
        // A bytearray can change while Python code runs: copy it.
        self.value
            .cast::<PyByteArray>()
            .ok()
            .map(|array| Cow::Owned(array.to_vec()))
    }

    fn field(&self, name: &str) -> Option<Self> {
        let dict = self.value.cast::<PyDict>().ok()?;
        let key = field_name(self.value.py(), name);
        dict.get_item(key).ok().flatten().map(PyDatum::new)
    }

    fn count(&self) -> Option<usize> {
        if let Ok(dict) = self.value.cast::<PyDict>() {
            return Some(dict.len());
        }
        if let Ok(list) = self.value.cast::<PyList>() {
            return Some(list.len());
        }
        self.value.cast::<PyTuple>().ok().map(|tuple| tuple.len())
    }

    fn for_each_item<F>(&self, mut f: F) -> Result<(), RecordError>
    where
        F: FnMut(Self) -> Result<(), RecordError>,
    {
        if let Ok(list) = self.value.cast::<PyList>() {
            // By index, so that a list changed by another thread is read
            // to its current end rather than past it.
            let mut index = 0;
            while let Ok(item) = list.get_item(index) {
                f(PyDatum::new(item))?;
                index += 1;
            }
        } else if let Ok(tuple) = self.value.cast::<PyTuple>() {
            for item in tuple.iter() {
                f(PyDatum::new(item))?;
            }
        }
        Ok(())
    }

    fn for_each_entry<F>(&self, mut f: F) -> Result<(), RecordError>
    where
        F: FnMut(&str, Self) -> Result<(), RecordError>,
    {
        let Ok(dict) = self.value.cast::<PyDict>() else {
            return Ok(());
        };
        for (key, value) in dict.iter() {
            let Ok(key) = key.cast::<PyString>() else {
                return Err(RecordError::new(format!(
                    "dict keys must be str, found {}",
                    type_name(&key)
                )));
            };
            let name =
                utf8(key).ok_or_else(|| RecordError::new("a dict key is not valid UTF-8 text"))?;
            f(name, PyDatum::new(value))?;
        }
        Ok(())
    }

    fn as_date_days(&self) -> Option<i32> {
        let ordinal: i64 = self
            .value
            .call_method0(intern!(self.value.py(), "toordinal"))
            .ok()?
            .extract()
            .ok()?;
        i32::try_from(ordinal - UNIX_EPOCH_ORDINAL).ok()
    }

    fn as_time_nanos(&self) -> Option<i64> {
        let py = self.value.py();
        let part = |name| self.int_attribute(&self.value, name);
        let seconds = part(intern!(py, "hour"))? * 3600
            + part(intern!(py, "minute"))? * 60
            + part(intern!(py, "second"))?;
        Some(seconds * 1_000_000_000 + part(intern!(py, "microsecond"))? * 1000)
    }

    fn as_timestamp_nanos(&self) -> Option<i128> {
        let py = self.value.py();
        let host = self.host()?;
        // The difference from the epoch is exact and honours the zone's
        // offset; an aware datetime is taken from the aware epoch, a naive
        // one (a wall-clock reading) from the naive one.
        let since_epoch = self
            .value
            .sub(host.utc_epoch.bind(py))
            .or_else(|_| self.value.sub(host.naive_epoch.bind(py)))
            .ok()?;
        let part = |name| self.int_attribute(&since_epoch, name).map(i128::from);
        let days = part(intern!(py, "days"))?;
        let seconds = part(intern!(py, "seconds"))?;
        let micros = part(intern!(py, "microseconds"))?;
        Some(((days * 86_400 + seconds) * 1_000_000 + micros) * 1000)
    }

    fn as_decimal_text(&self) -> Option<Cow<'_, str>> {
        // Fixed-point text: str() would write 1E+2 for a hundred.
        let text = self
            .value
            .call_method1(intern!(self.value.py(), "__format__"), ("f",))
            .ok()?;
        let text = text.cast::<PyString>().ok()?;
        utf8(text).map(|t| Cow::Owned(t.to_owned()))
    }
}

/// A value's type name for error messages.
fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "object".to_owned())
}

/// Builds Python objects from decoded Avro: dicts with str keys, `date`,
/// `time`, aware `datetime` (UTC) for timestamps, naive `datetime` for local
/// timestamps, `Decimal`, `UUID`, `bytes`.
///
/// Limitation: Python's datetime and time hold microseconds, so nanosecond
/// timestamps and times decode rounded down to the microsecond, until the
/// binding offers a nanosecond-exact form for them.
pub struct PyBuilder<'py> {
    py: Python<'py>,
    host: &'py Host,
}

impl<'py> PyBuilder<'py> {
    pub fn new(py: Python<'py>) -> PyResult<Self> {
        Ok(PyBuilder {
            py,
            host: host::get(py)?,
        })
    }

    fn since_epoch(
        &self,
        epoch: &Py<PyAny>,
        value: i64,
        unit: TimeUnit,
    ) -> Result<Bound<'py, PyAny>, String> {
        let micros = (i128::from(value) * i128::from(unit.nanos())).div_euclid(1000);
        let micros = i64::try_from(micros).map_err(|err| err.to_string())?;
        let days = micros.div_euclid(MICROS_PER_DAY);
        let rest = micros.rem_euclid(MICROS_PER_DAY);
        let delta = self
            .host
            .timedelta
            .bind(self.py)
            .call1((days, rest / 1_000_000, rest % 1_000_000))
            .map_err(|err| err.to_string())?;
        epoch
            .bind(self.py)
            .add(delta)
            .map_err(|err| format!("timestamp {value} is out of Python's datetime range: {err}"))
    }
}

impl<'py> DatumBuilder for PyBuilder<'py> {
    type Value = Bound<'py, PyAny>;

    fn null(&mut self) -> Result<Self::Value, String> {
        Ok(self.py.None().into_bound(self.py))
    }

    fn boolean(&mut self, value: bool) -> Result<Self::Value, String> {
        Ok(PyBool::new(self.py, value).to_owned().into_any())
    }

    fn long(&mut self, value: i64) -> Result<Self::Value, String> {
        Ok(value
            .into_pyobject(self.py)
            .map_err(|e| e.to_string())?
            .into_any())
    }

    fn double(&mut self, value: f64) -> Result<Self::Value, String> {
        Ok(PyFloat::new(self.py, value).into_any())
    }

    fn string(&mut self, value: &str) -> Result<Self::Value, String> {
        Ok(PyString::new(self.py, value).into_any())
    }

    fn bytes(&mut self, value: &[u8]) -> Result<Self::Value, String> {
        Ok(PyBytes::new(self.py, value).into_any())
    }

    fn array(&mut self, items: Vec<Self::Value>) -> Result<Self::Value, String> {
        PyList::new(self.py, items)
            .map(Bound::into_any)
            .map_err(|err| err.to_string())
    }

    fn map(&mut self, entries: Vec<(String, Self::Value)>) -> Result<Self::Value, String> {
        let dict = PyDict::new(self.py);
        for (key, value) in entries {
            dict.set_item(key, value).map_err(|err| err.to_string())?;
        }
        Ok(dict.into_any())
    }

    fn record(&mut self, fields: Vec<(&str, Self::Value)>) -> Result<Self::Value, String> {
        let dict = PyDict::new(self.py);
        for (name, value) in fields {
            dict.set_item(field_name(self.py, name), value)
                .map_err(|err| err.to_string())?;
        }
        Ok(dict.into_any())
    }

    fn date(&mut self, days: i32) -> Result<Self::Value, String> {
        self.host
            .date
            .bind(self.py)
            .call_method1("fromordinal", (i64::from(days) + UNIX_EPOCH_ORDINAL,))
            .map_err(|err| format!("date {days} is out of Python's date range: {err}"))
    }

    fn time(&mut self, value: i64, unit: TimeUnit) -> Result<Self::Value, String> {
        let micros = (i128::from(value) * i128::from(unit.nanos())).div_euclid(1000);
        let micros = i64::try_from(micros).map_err(|err| err.to_string())?;
        let seconds = micros.div_euclid(1_000_000);
        self.host
            .time
            .bind(self.py)
            .call1((
                seconds / 3600,
                seconds / 60 % 60,
                seconds % 60,
                micros.rem_euclid(1_000_000),
            ))
            .map_err(|err| format!("time of day {value} is out of range: {err}"))
    }

    fn timestamp(&mut self, value: i64, unit: TimeUnit) -> Result<Self::Value, String> {
        self.since_epoch(&self.host.utc_epoch, value, unit)
    }

    fn local_timestamp(&mut self, value: i64, unit: TimeUnit) -> Result<Self::Value, String> {
        self.since_epoch(&self.host.naive_epoch, value, unit)
    }

    fn decimal(&mut self, unscaled: i128, scale: u32) -> Result<Self::Value, String> {
        let text = eventbus::avro::logical::format_decimal(unscaled, scale);
        self.host
            .decimal
            .bind(self.py)
            .call1((text,))
            .map_err(|err| err.to_string())
    }

    fn uuid(&mut self, text: &str) -> Result<Self::Value, String> {
        self.host
            .uuid
            .bind(self.py)
            .call1((text,))
            .map_err(|err| err.to_string())
    }
}
