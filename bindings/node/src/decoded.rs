//! Decoded Avro built straight into JavaScript values ([`JsBuilder`]), with
//! no JSON text in between. (Values to encode come the other way as a tape:
//! see [`crate::tape`].)
//!
//! It works on raw N-API handles, on the JavaScript thread, inside the one
//! `decode` call whose handle scope keeps the values alive.

use std::ptr;

use eventbus::avro::{DatumBuilder, TimeUnit};
use napi::sys;

/// Larger whole numbers than this are not exact in a JavaScript number:
/// `Number.MAX_SAFE_INTEGER`. Longs beyond it decode to a `BigInt`.
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// Builds decoded values as JavaScript values: objects with the schema's
/// field order, numbers (a `BigInt` past `Number.MAX_SAFE_INTEGER`),
/// `Buffer`s for bytes and fixed, `Date`s for millisecond timestamps, and
/// the core's ISO text for finer timestamps, dates, times, local
/// timestamps, decimals and UUIDs.
pub struct JsBuilder {
    env: sys::napi_env,
}

impl JsBuilder {
    /// # Safety
    /// Only on the JavaScript thread of `env`, within a handle scope.
    pub unsafe fn new(env: sys::napi_env) -> Self {
        JsBuilder { env }
    }

    fn made(&self, status: i32, value: sys::napi_value, what: &str) -> Result<Value, String> {
        if status == sys::Status::napi_ok {
            Ok(Value(value))
        } else {
            Err(format!("could not make a JavaScript {what}"))
        }
    }

    fn set(&self, object: sys::napi_value, name: &str, value: Value) -> Result<(), String> {
        let key = named_key(self.env, name).ok_or("could not make a property name")?;
        // SAFETY: live handles on the JavaScript thread.
        let status = unsafe { sys::napi_set_property(self.env, object, key, value.0) };
        if status == sys::Status::napi_ok {
            Ok(())
        } else {
            Err(format!("could not set property {name:?}"))
        }
    }

    fn object(&self, entries: impl Iterator<Item = (String, Value)>) -> Result<Value, String> {
        let mut object = ptr::null_mut();
        // SAFETY: on the JavaScript thread.
        let status = unsafe { sys::napi_create_object(self.env, &mut object) };
        let object = self.made(status, object, "object")?;
        for (name, value) in entries {
            self.set(object.0, &name, value)?;
        }
        Ok(object)
    }
}

/// A value made by [`JsBuilder`].
#[derive(Clone, Copy)]
pub struct Value(pub sys::napi_value);

impl DatumBuilder for JsBuilder {
    type Value = Value;

    fn null(&mut self) -> Result<Value, String> {
        let mut value = ptr::null_mut();
        // SAFETY: on the JavaScript thread.
        let status = unsafe { sys::napi_get_null(self.env, &mut value) };
        self.made(status, value, "null")
    }

    fn boolean(&mut self, flag: bool) -> Result<Value, String> {
        let mut value = ptr::null_mut();
        // SAFETY: on the JavaScript thread.
        let status = unsafe { sys::napi_get_boolean(self.env, flag, &mut value) };
        self.made(status, value, "boolean")
    }

    fn long(&mut self, n: i64) -> Result<Value, String> {
        let mut value = ptr::null_mut();
        // SAFETY: on the JavaScript thread.
        let status = unsafe {
            if n.unsigned_abs() <= MAX_SAFE_INTEGER as u64 {
                sys::napi_create_int64(self.env, n, &mut value)
            } else {
                sys::napi_create_bigint_int64(self.env, n, &mut value)
            }
        };
        self.made(status, value, "number")
    }

    fn double(&mut self, n: f64) -> Result<Value, String> {
        let mut value = ptr::null_mut();
        // SAFETY: on the JavaScript thread.
        let status = unsafe { sys::napi_create_double(self.env, n, &mut value) };
        self.made(status, value, "number")
    }

    fn string(&mut self, text: &str) -> Result<Value, String> {
        let mut value = ptr::null_mut();
        // SAFETY: valid UTF-8 of the given length.
        let status = unsafe {
            sys::napi_create_string_utf8(
                self.env,
                text.as_ptr().cast(),
                text.len() as isize,
                &mut value,
            )
        };
        self.made(status, value, "string")
    }

    fn bytes(&mut self, bytes: &[u8]) -> Result<Value, String> {
        let mut value = ptr::null_mut();
        let mut data = ptr::null_mut();
        // SAFETY: the Buffer is made with its own copy of `bytes`.
        let status = unsafe {
            sys::napi_create_buffer_copy(
                self.env,
                bytes.len(),
                bytes.as_ptr().cast(),
                &mut data,
                &mut value,
            )
        };
        self.made(status, value, "Buffer")
    }

    fn array(&mut self, items: Vec<Value>) -> Result<Value, String> {
        let mut array = ptr::null_mut();
        // SAFETY: on the JavaScript thread.
        let status =
            unsafe { sys::napi_create_array_with_length(self.env, items.len(), &mut array) };
        let array = self.made(status, array, "array")?;
        for (index, item) in items.into_iter().enumerate() {
            // SAFETY: live handles on the JavaScript thread.
            let status = unsafe { sys::napi_set_element(self.env, array.0, index as u32, item.0) };
            if status != sys::Status::napi_ok {
                return Err("could not fill an array".into());
            }
        }
        Ok(array)
    }

    fn map(&mut self, entries: Vec<(String, Value)>) -> Result<Value, String> {
        self.object(entries.into_iter())
    }

    fn record(&mut self, fields: Vec<(&str, Value)>) -> Result<Value, String> {
        self.object(
            fields
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value)),
        )
    }

    /// A `Date` for `timestamp-millis`. A `Date` holds whole milliseconds
    /// only, so finer timestamps come back as the core's exact ISO text,
    /// which encodes back to the same bytes.
    fn timestamp(&mut self, value: i64, unit: TimeUnit) -> Result<Value, String> {
        if unit != TimeUnit::Millis {
            let text = eventbus::avro::logical::format_timestamp(value, unit, true)?;
            return self.string(&text);
        }
        let millis = value as f64;
        let mut date = ptr::null_mut();
        // SAFETY: on the JavaScript thread.
        let status = unsafe { sys::napi_create_date(self.env, millis, &mut date) };
        self.made(status, date, "Date")
    }
}

/// A property key for `name`.
fn named_key(env: sys::napi_env, name: &str) -> Option<sys::napi_value> {
    let mut key = ptr::null_mut();
    // SAFETY: `name` is valid UTF-8 of the given length.
    let status = unsafe {
        sys::napi_create_string_utf8(env, name.as_ptr().cast(), name.len() as isize, &mut key)
    };
    (status == sys::Status::napi_ok).then_some(key)
}
