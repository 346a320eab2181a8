//! JavaScript values read in place by the core encoder ([`JsDatum`]), and
//! decoded Avro built straight into JavaScript values ([`JsBuilder`]). No
//! JSON text is made in either direction.
//!
//! Both work on raw N-API handles, on the JavaScript thread, inside the one
//! call (`encode`, `decode`, `produce`) whose handle scope keeps the values
//! alive. A property whose value is `undefined` counts as absent, as it does
//! for `JSON.stringify`, so `{ providerName: undefined }` takes the field's
//! default.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::c_char;
use std::hash::{BuildHasherDefault, Hasher};
use std::ptr;

use eventbus::avro::{Datum, DatumBuilder, DatumKind, RecordError, TimeUnit};
use napi::sys;

/// Larger whole numbers than this are not exact in a JavaScript number:
/// `Number.MAX_SAFE_INTEGER`. Longs beyond it decode to a `BigInt`.
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// Strings up to this many UTF-8 bytes are read in one N-API call.
const SHORT_TEXT: usize = 256;

/// Property keys kept for field names, per thread; past this many (many
/// schemas made and dropped) the cache starts afresh.
const KEYS_KEPT: usize = 4096;

thread_local! {
    /// `Object.keys` of this thread's environment. It lists an object's own
    /// keys faster than `napi_get_all_property_names`, which takes V8's
    /// general key collection rather than its cached one.
    static OBJECT_KEYS: Cell<(sys::napi_env, sys::napi_ref)> =
        const { Cell::new((ptr::null_mut(), ptr::null_mut())) };

    /// A JavaScript string for each field name looked up. V8 finds a property
    /// by a string it has seen before much faster than by a new one.
    static FIELD_KEYS: RefCell<FieldKeys> = RefCell::new(FieldKeys::default());
}

/// Readies this thread's environment for [`JsDatum`]: called once as the
/// addon loads.
pub fn init(env: sys::napi_env) -> napi::Result<()> {
    let failed = || napi::Error::from_reason("could not find Object.keys");
    let mut global = ptr::null_mut();
    let mut object = ptr::null_mut();
    let mut keys = ptr::null_mut();
    let mut reference = ptr::null_mut();
    // SAFETY: on the JavaScript thread, while the module loads; each handle
    // is written before it is used.
    let found = unsafe {
        sys::napi_get_global(env, &mut global) == sys::Status::napi_ok
            && sys::napi_get_named_property(env, global, c"Object".as_ptr(), &mut object)
                == sys::Status::napi_ok
            && sys::napi_get_named_property(env, object, c"keys".as_ptr(), &mut keys)
                == sys::Status::napi_ok
            && type_of(env, keys) == sys::ValueType::napi_function
            && sys::napi_create_reference(env, keys, 1, &mut reference) == sys::Status::napi_ok
    };
    if !found {
        return Err(failed());
    }
    OBJECT_KEYS.with(|cell| cell.set((env, reference)));
    Ok(())
}

/// Field names and their JavaScript strings, for one environment. The
/// strings are kept in a JavaScript array, because a reference can hold an
/// object but, before N-API 10, not a string.
#[derive(Default)]
struct FieldKeys {
    env: Option<usize>,
    array: Option<sys::napi_ref>,
    index: HashMap<Box<str>, u32, BuildHasherDefault<NameHasher>>,
}

/// FNV-1a: field names are short, and hashing them must cost less than
/// the lookup it saves.
struct NameHasher(u64);

impl Default for NameHasher {
    fn default() -> Self {
        NameHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The property key for a field `name`, made once per environment.
fn field_key(env: sys::napi_env, name: &str) -> Option<sys::napi_value> {
    FIELD_KEYS.with(|cell| {
        // Only a getter that encodes from inside an encode finds it taken.
        let Ok(mut cache) = cell.try_borrow_mut() else {
            return named_key(env, name);
        };
        cached_key(&mut cache, env, name).or_else(|| named_key(env, name))
    })
}

fn cached_key(cache: &mut FieldKeys, env: sys::napi_env, name: &str) -> Option<sys::napi_value> {
    if cache.env != Some(env as usize) || cache.index.len() >= KEYS_KEPT {
        if cache.env == Some(env as usize)
            && let Some(old) = cache.array.take()
        {
            // SAFETY: made in this environment, no longer cached.
            unsafe { sys::napi_delete_reference(env, old) };
        }
        // References belong to their environment: never reuse another's.
        *cache = FieldKeys {
            env: Some(env as usize),
            array: None,
            index: HashMap::default(),
        };
    }
    let mut array = ptr::null_mut();
    // SAFETY: on the JavaScript thread; each handle is written before use,
    // and the array's reference was made in this environment.
    unsafe {
        match cache.array {
            Some(reference) => {
                if sys::napi_get_reference_value(env, reference, &mut array) != sys::Status::napi_ok
                {
                    return None;
                }
            }
            None => {
                let mut reference = ptr::null_mut();
                if sys::napi_create_array(env, &mut array) != sys::Status::napi_ok
                    || sys::napi_create_reference(env, array, 1, &mut reference)
                        != sys::Status::napi_ok
                {
                    return None;
                }
                cache.array = Some(reference);
            }
        }
        let mut key = ptr::null_mut();
        if let Some(&index) = cache.index.get(name) {
            let status = sys::napi_get_element(env, array, index, &mut key);
            return (status == sys::Status::napi_ok).then_some(key);
        }
        let key = named_key(env, name)?;
        let index = cache.index.len() as u32;
        if sys::napi_set_element(env, array, index, key) == sys::Status::napi_ok {
            cache.index.insert(name.into(), index);
        }
        Some(key)
    }
}

/// A JavaScript value, borrowed for the length of one call.
pub struct JsDatum {
    env: sys::napi_env,
    value: sys::napi_value,
    /// Worked out on first use: it takes up to four N-API calls.
    kind: Cell<Option<DatumKind>>,
    /// An object's own keys and their number, listed on first use.
    keys: Cell<Option<(sys::napi_value, u32)>>,
}

impl JsDatum {
    /// # Safety
    /// `value` must be a live handle in `env`'s current handle scope, and the
    /// datum must be used only on the JavaScript thread within that scope.
    pub unsafe fn new(env: sys::napi_env, value: sys::napi_value) -> Self {
        JsDatum {
            env,
            value,
            kind: Cell::new(None),
            keys: Cell::new(None),
        }
    }

    fn child(&self, value: sys::napi_value) -> Self {
        JsDatum {
            env: self.env,
            value,
            kind: Cell::new(None),
            keys: Cell::new(None),
        }
    }

    fn type_of(&self) -> i32 {
        type_of(self.env, self.value)
    }

    fn classify(&self) -> DatumKind {
        use sys::ValueType as T;
        match self.type_of() {
            T::napi_undefined | T::napi_null => DatumKind::Null,
            T::napi_boolean => DatumKind::Boolean,
            T::napi_number => match self.number() {
                Some(n) if n.fract() == 0.0 && n.abs() <= i64::MAX as f64 => DatumKind::Integer,
                _ => DatumKind::Float,
            },
            T::napi_string => DatumKind::String,
            T::napi_bigint => DatumKind::Integer,
            T::napi_object => self.classify_object(),
            T::napi_function => DatumKind::Other("function"),
            T::napi_symbol => DatumKind::Other("symbol"),
            _ => DatumKind::Other("external value"),
        }
    }

    fn classify_object(&self) -> DatumKind {
        let check = |f: unsafe extern "C" fn(sys::napi_env, sys::napi_value, *mut bool) -> i32| {
            let mut result = false;
            // SAFETY: a live handle; `result` is written on success only.
            let status = unsafe { f(self.env, self.value, &mut result) };
            status == sys::Status::napi_ok && result
        };
        if check(sys::napi_is_array) {
            DatumKind::Array
        } else if check(sys::napi_is_date) {
            DatumKind::Timestamp
        } else if check(sys::napi_is_typedarray) {
            if self.uint8_bytes().is_some() {
                DatumKind::Bytes
            } else {
                DatumKind::Other("typed array other than Uint8Array")
            }
        } else {
            DatumKind::Object
        }
    }

    fn number(&self) -> Option<f64> {
        let mut result = 0.0;
        // SAFETY: a live handle; fails (and leaves `result`) for non-numbers.
        let status = unsafe { sys::napi_get_value_double(self.env, self.value, &mut result) };
        (status == sys::Status::napi_ok).then_some(result)
    }

    /// The bytes of a `Uint8Array` (a `Buffer` is one), borrowed.
    fn uint8_bytes(&self) -> Option<&[u8]> {
        let mut array_type = 0;
        let mut length = 0usize;
        let mut data: *mut std::ffi::c_void = ptr::null_mut();
        // SAFETY: a live handle; the out-parameters are written on success.
        let status = unsafe {
            sys::napi_get_typedarray_info(
                self.env,
                self.value,
                &mut array_type,
                &mut length,
                &mut data,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        if status != sys::Status::napi_ok || array_type != sys::TypedarrayType::uint8_array {
            return None;
        }
        if length == 0 || data.is_null() {
            return Some(&[]);
        }
        // SAFETY: the array's storage stays put while the value is alive and
        // no JavaScript runs, which holds for the length of this call.
        Some(unsafe { std::slice::from_raw_parts(data.cast::<u8>(), length) })
    }

    /// Own enumerable string keys, as a JavaScript array, and how many:
    /// what `Object.keys` gives.
    fn own_keys(&self) -> Option<(sys::napi_value, u32)> {
        if let Some(keys) = self.keys.get() {
            return Some(keys);
        }
        let names = self
            .call_object_keys()
            .or_else(|| self.all_property_names())?;
        let keys = (names, array_length(self.env, names)?);
        self.keys.set(Some(keys));
        Some(keys)
    }

    fn call_object_keys(&self) -> Option<sys::napi_value> {
        let (env, function) = OBJECT_KEYS.with(Cell::get);
        if env != self.env || function.is_null() {
            return None;
        }
        let mut keys = ptr::null_mut();
        let mut names = ptr::null_mut();
        // SAFETY: live handles on the JavaScript thread; `Object.keys`
        // ignores its receiver. A proxy's trap may throw: the call fails and
        // the exception stays pending for the caller to see.
        let status = unsafe {
            if sys::napi_get_reference_value(env, function, &mut keys) != sys::Status::napi_ok {
                return None;
            }
            sys::napi_call_function(env, self.value, keys, 1, &self.value, &mut names)
        };
        (status == sys::Status::napi_ok).then_some(names)
    }

    fn all_property_names(&self) -> Option<sys::napi_value> {
        let mut names = ptr::null_mut();
        // SAFETY: a live object handle; `names` is written on success.
        let status = unsafe {
            sys::napi_get_all_property_names(
                self.env,
                self.value,
                sys::KeyCollectionMode::own_only,
                sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
                sys::KeyConversion::numbers_to_strings,
                &mut names,
            )
        };
        (status == sys::Status::napi_ok).then_some(names)
    }

    fn get_property(&self, key: sys::napi_value) -> Option<sys::napi_value> {
        let mut value = ptr::null_mut();
        // SAFETY: live handles; `value` is written on success.
        let status = unsafe { sys::napi_get_property(self.env, self.value, key, &mut value) };
        (status == sys::Status::napi_ok).then_some(value)
    }

    fn element(&self, array: sys::napi_value, index: u32) -> Option<sys::napi_value> {
        let mut value = ptr::null_mut();
        // SAFETY: a live array handle; `value` is written on success.
        let status = unsafe { sys::napi_get_element(self.env, array, index, &mut value) };
        (status == sys::Status::napi_ok).then_some(value)
    }

    /// Whether `name` is the object's own property, rather than one it
    /// inherits (`toString`, `constructor`).
    fn has_own(&self, key: sys::napi_value) -> bool {
        let mut result = false;
        // SAFETY: live handles; `result` is written on success.
        let status = unsafe { sys::napi_has_own_property(self.env, self.value, key, &mut result) };
        status == sys::Status::napi_ok && result
    }
}

impl Datum for JsDatum {
    fn kind(&self) -> DatumKind {
        if let Some(kind) = self.kind.get() {
            return kind;
        }
        let kind = self.classify();
        self.kind.set(Some(kind));
        kind
    }

    fn as_bool(&self) -> Option<bool> {
        let mut result = false;
        // SAFETY: a live handle; fails for non-booleans.
        let status = unsafe { sys::napi_get_value_bool(self.env, self.value, &mut result) };
        (status == sys::Status::napi_ok).then_some(result)
    }

    fn as_long(&self) -> Option<i64> {
        if self.type_of() == sys::ValueType::napi_bigint {
            let (mut result, mut lossless) = (0i64, false);
            // SAFETY: a live BigInt handle.
            let status = unsafe {
                sys::napi_get_value_bigint_int64(self.env, self.value, &mut result, &mut lossless)
            };
            return (status == sys::Status::napi_ok && lossless).then_some(result);
        }
        let n = self.number()?;
        // `i64::MAX as f64` rounds up to 2^63, which does not fit: strictly less.
        (n.fract() == 0.0 && n >= i64::MIN as f64 && n < i64::MAX as f64).then_some(n as i64)
    }

    fn as_double(&self) -> Option<f64> {
        if self.type_of() == sys::ValueType::napi_bigint {
            return self.as_long().map(|n| n as f64);
        }
        self.number()
    }

    fn as_str(&self) -> Option<Cow<'_, str>> {
        string_value(self.env, self.value).map(Cow::Owned)
    }

    fn as_bytes(&self) -> Option<Cow<'_, [u8]>> {
        self.uint8_bytes().map(Cow::Borrowed)
    }

    fn field(&self, name: &str) -> Option<Self> {
        let key = field_key(self.env, name)?;
        let value = self.get_property(key)?;
        match type_of(self.env, value) {
            sys::ValueType::napi_undefined => None,
            // Every object inherits a few methods; a field by such a name is
            // only the caller's if set on the object itself.
            sys::ValueType::napi_function if !self.has_own(key) => None,
            _ => Some(self.child(value)),
        }
    }

    /// Lookups by a cached key are a property read each; a walk over the
    /// entries copies each key's text out as well.
    fn prefers_field_lookup(&self) -> bool {
        true
    }

    fn has_more_entries_than(&self, n: usize) -> bool {
        match self.own_keys() {
            Some((_, length)) if length as usize <= n => false,
            // Keys holding `undefined` count as absent: count exactly.
            _ => self.count().is_some_and(|count| count > n),
        }
    }

    fn count(&self) -> Option<usize> {
        match self.kind() {
            DatumKind::Array => array_length(self.env, self.value).map(|n| n as usize),
            DatumKind::Object => {
                let (keys, length) = self.own_keys()?;
                let mut present = 0;
                for index in 0..length {
                    let key = self.element(keys, index)?;
                    let value = self.get_property(key)?;
                    if type_of(self.env, value) != sys::ValueType::napi_undefined {
                        present += 1;
                    }
                }
                Some(present)
            }
            _ => None,
        }
    }

    fn for_each_item<F>(&self, mut f: F) -> Result<(), RecordError>
    where
        F: FnMut(Self) -> Result<(), RecordError>,
    {
        let length = array_length(self.env, self.value).unwrap_or(0);
        for index in 0..length {
            let item = self
                .element(self.value, index)
                .ok_or_else(|| RecordError::new("an array item could not be read"))?;
            f(self.child(item))?;
        }
        Ok(())
    }

    fn for_each_entry<F>(&self, mut f: F) -> Result<(), RecordError>
    where
        F: FnMut(&str, Self) -> Result<(), RecordError>,
    {
        let unreadable = || RecordError::new("an object's properties could not be read");
        let (keys, length) = self.own_keys().ok_or_else(unreadable)?;
        let mut short = [0u8; SHORT_TEXT];
        for index in 0..length {
            let key = self.element(keys, index).ok_or_else(unreadable)?;
            let value = self.get_property(key).ok_or_else(unreadable)?;
            if type_of(self.env, value) == sys::ValueType::napi_undefined {
                continue;
            }
            // Keys are short: read them into the stack, not a new String.
            match short_string(self.env, key, &mut short) {
                Some(Ok(name)) => f(name, self.child(value))?,
                Some(Err(())) => {
                    let name = string_value(self.env, key).ok_or_else(unreadable)?;
                    f(&name, self.child(value))?;
                }
                None => return Err(unreadable()),
            }
        }
        Ok(())
    }

    fn as_timestamp_nanos(&self) -> Option<i128> {
        let mut millis = 0.0;
        // SAFETY: a live handle; fails for anything but a Date.
        let status = unsafe { sys::napi_get_date_value(self.env, self.value, &mut millis) };
        // An invalid Date (`new Date("x")`) holds NaN.
        if status != sys::Status::napi_ok || !millis.is_finite() {
            return None;
        }
        Some(millis as i128 * 1_000_000)
    }
}

fn type_of(env: sys::napi_env, value: sys::napi_value) -> i32 {
    let mut result = sys::ValueType::napi_undefined;
    // SAFETY: a live handle; `result` is written on success.
    unsafe { sys::napi_typeof(env, value, &mut result) };
    result
}

fn array_length(env: sys::napi_env, array: sys::napi_value) -> Option<u32> {
    let mut length = 0;
    // SAFETY: a live handle; fails for non-arrays.
    let status = unsafe { sys::napi_get_array_length(env, array, &mut length) };
    (status == sys::Status::napi_ok).then_some(length)
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

/// The text of a JavaScript string read into `buffer`: `None` for anything
/// but a string, `Some(Err(()))` if it may not fit.
fn short_string(
    env: sys::napi_env,
    value: sys::napi_value,
    buffer: &mut [u8; SHORT_TEXT],
) -> Option<Result<&str, ()>> {
    let mut written = 0usize;
    // SAFETY: the buffer is SHORT_TEXT bytes; N-API writes at most that many,
    // NUL included, and fails for non-strings.
    let status = unsafe {
        sys::napi_get_value_string_utf8(
            env,
            value,
            buffer.as_mut_ptr().cast::<c_char>(),
            SHORT_TEXT,
            &mut written,
        )
    };
    if status != sys::Status::napi_ok {
        return None;
    }
    if written >= SHORT_TEXT - 1 {
        return Some(Err(()));
    }
    Some(std::str::from_utf8(&buffer[..written]).map_err(|_| ()))
}

/// The text of a JavaScript string; `None` for anything else.
pub fn string_value(env: sys::napi_env, value: sys::napi_value) -> Option<String> {
    let mut short = [0u8; SHORT_TEXT];
    let mut written = 0usize;
    // SAFETY: the buffer is SHORT_TEXT bytes; N-API writes at most that many,
    // NUL included, and fails for non-strings.
    let status = unsafe {
        sys::napi_get_value_string_utf8(
            env,
            value,
            short.as_mut_ptr().cast::<c_char>(),
            SHORT_TEXT,
            &mut written,
        )
    };
    if status != sys::Status::napi_ok {
        return None;
    }
    if written < SHORT_TEXT - 1 {
        return String::from_utf8(short[..written].to_vec()).ok();
    }
    // It may have been cut short: ask for the length, then read it whole.
    let mut length = 0usize;
    // SAFETY: a null buffer asks for the length only.
    unsafe { sys::napi_get_value_string_utf8(env, value, ptr::null_mut(), 0, &mut length) };
    let mut text = vec![0u8; length + 1];
    // SAFETY: the buffer holds the text and its NUL.
    let status = unsafe {
        sys::napi_get_value_string_utf8(
            env,
            value,
            text.as_mut_ptr().cast::<c_char>(),
            text.len(),
            &mut written,
        )
    };
    if status != sys::Status::napi_ok {
        return None;
    }
    text.truncate(written);
    String::from_utf8(text).ok()
}

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
            if n.abs() <= MAX_SAFE_INTEGER {
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
