//! JavaScript values as `tape.js` writes them for the encoder, read in
//! place by the core through its value trait ([`TapeDatum`]).
//!
//! Reading a JavaScript object through N-API costs a call or two per
//! property, and copying a string out costs one more; each costs more than
//! V8 takes to run a whole small record through JavaScript. So `tape.js`
//! walks the value in JavaScript and writes it as bytes into one
//! `ArrayBuffer`, which this module reads where it lies, with no copy and
//! no list of nodes built first. The few values bytes cannot hold
//! (`Buffer`s and other typed arrays, `BigInt`s) go in an array beside it.
//!
//! A tape starts with a header of six little-endian 32-bit words:
//!
//! | word | written by | holds |
//! |---|---|---|
//! | 0 | `tape.js` | the bytes used, header included |
//! | 1 | `index.js` | where the encoded message goes in the output pool |
//! | 2 | the addon | the encoded message's length |
//! | 3, 4 | `index.js` | the serializer's slot and generation |
//! | 5 | | unused |
//!
//! Then one value, the root. Each value is a tag byte and what follows it
//! (numbers little-endian; `u32` is four bytes, `f64` eight):
//!
//! | tag | followed by |
//! |---|---|
//! | `NULL`, `FALSE`, `TRUE`, `FUNCTION`, `SYMBOL`, `TOO_DEEP` | nothing |
//! | `NUMBER` | the number, `f64` |
//! | `DATE` | its milliseconds, `f64` (NaN for an invalid `Date`) |
//! | `STRING` | its length in bytes, `u32`, then its UTF-8 |
//! | `BIGINT`, `BYTES`, `TYPED_ARRAY` | its index in the array of values, `u32` |
//! | `ARRAY` | its length and the offset where it ends, `u32` each; the items follow |
//! | `OBJECT` | its entry count and end offset, `u32` each; each entry is a key, then its value |
//!
//! A key is a `u32`: with its high bit set, the id of a key interned by
//! [`intern_key`] in the low bits; otherwise the key's length in bytes,
//! its UTF-8 following. A record's keys are the same from one message to
//! the next, so each crosses into the addon once per thread rather than
//! once per message, up to a bound, after which keys travel in the tape
//! (see [`thread_state`]).
//!
//! An object lists its own enumerable string keys whose values are not
//! `undefined`, as `JSON.stringify` does. A tape that `tape.js` did not
//! write (a call made by hand) cannot make the reader misbehave: every read
//! is checked, every step moves forward, and what does not add up is
//! refused as malformed.

use std::borrow::Cow;
use std::ptr;

use eventbus::avro::{Datum, DatumKind, RecordError};
use napi::sys;

use crate::thread_state;

const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const NUMBER: u8 = 3;
const STRING: u8 = 4;
const DATE: u8 = 5;
const BIGINT: u8 = 6;
const BYTES: u8 = 7;
const TYPED_ARRAY: u8 = 8;
const ARRAY: u8 = 9;
const OBJECT: u8 = 10;
const FUNCTION: u8 = 11;
const SYMBOL: u8 = 12;
const TOO_DEEP: u8 = 13;

/// The header's size, and the offsets of its words.
pub const HEADER_BYTES: usize = 24;
const USED: usize = 0;
pub const POOL_OFFSET: usize = 4;
pub const WRITTEN: usize = 8;
pub const SERIALIZER_SLOT: usize = 12;
pub const SERIALIZER_GENERATION: usize = 16;

/// Marks a key word that carries an interned key's id.
const INTERNED: u32 = 0x8000_0000;

/// Interns an object key for the tapes of this thread and returns its id,
/// or nothing once the thread has interned as many as it keeps. Called by
/// `tape.js` the first time it meets a key; its ids come only from here, so
/// the two sides cannot disagree on one.
#[napi(js_name = "_internKey", skip_typescript)]
pub fn intern_key(key: String) -> Option<u32> {
    thread_state::with(|state| state.intern(key)).flatten()
}

/// Why a tape could not be read: never the caller's record, always a call
/// that `tape.js` did not make.
#[derive(Debug)]
pub struct Malformed;

/// The little-endian `u32` at `at`.
pub fn word(bytes: &[u8], at: usize) -> Option<u32> {
    let word = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes(word.try_into().ok()?))
}

/// The parts of a tape as JavaScript hands them over: `buffer` should be
/// an `ArrayBuffer` written by `tape.js` and `values` its array of held
/// values.
#[derive(Clone, Copy)]
pub struct Parts {
    pub buffer: sys::napi_value,
    pub values: sys::napi_value,
}

impl Parts {
    /// The parts of a `Tape` object of `tape.js`.
    ///
    /// # Safety
    /// On the JavaScript thread, with `tape` alive. Reading a property may
    /// run a getter: call this before any tape is read.
    pub unsafe fn of(env: sys::napi_env, tape: sys::napi_value) -> Result<Parts, Malformed> {
        let property = |name: &std::ffi::CStr| {
            let mut value = ptr::null_mut();
            // SAFETY: the caller's contract; fails for non-objects.
            let status =
                unsafe { sys::napi_get_named_property(env, tape, name.as_ptr(), &mut value) };
            (status == sys::Status::napi_ok)
                .then_some(value)
                .ok_or(Malformed)
        };
        Ok(Parts {
            buffer: property(c"buffer")?,
            values: property(c"values")?,
        })
    }

    /// Reads the tape with this thread's interned keys and hands `f` its
    /// root value (see [`with_tape`]).
    ///
    /// # Safety
    /// As [`with_tape`], with the parts' handles alive for this call. Every
    /// tape's parts are taken (`Parts::of`) before any tape is read.
    pub unsafe fn read<R>(
        self,
        env: sys::napi_env,
        f: impl FnOnce(TapeDatum<'_>) -> R,
    ) -> Result<R, Malformed> {
        // SAFETY: the caller's contract.
        let bytes = unsafe { array_buffer(env, self.buffer) }.ok_or(Malformed)?;
        thread_state::with(|state| {
            // SAFETY: the caller's contract.
            unsafe {
                with_tape(
                    env,
                    bytes,
                    self.values,
                    &state.keys,
                    &mut Vec::new(),
                    |value, _| f(value),
                )
            }
        })
        .unwrap_or(Err(Malformed))
    }
}

/// The bytes of an `ArrayBuffer`, borrowed for the call.
///
/// # Safety
/// On the JavaScript thread, with `buffer` alive and no JavaScript running
/// while the slice is used.
pub unsafe fn array_buffer<'t>(
    env: sys::napi_env,
    buffer: sys::napi_value,
) -> Option<&'t mut [u8]> {
    let mut data = ptr::null_mut();
    let mut length = 0usize;
    // SAFETY: out-parameters are written on success; fails for anything but
    // an ArrayBuffer.
    let status = unsafe { sys::napi_get_arraybuffer_info(env, buffer, &mut data, &mut length) };
    if status != sys::Status::napi_ok {
        return None;
    }
    if length == 0 || data.is_null() {
        return Some(&mut []);
    }
    // SAFETY: an ArrayBuffer's `length` bytes, which stay put while it is
    // alive and no JavaScript runs (which could detach it).
    Some(unsafe { std::slice::from_raw_parts_mut(data.cast::<u8>(), length) })
}

/// Reads the tape in `bytes` (a whole tape buffer, header included), with
/// the thread's interned `keys`, and hands `f` its root value and `out`,
/// emptied, to write to.
///
/// # Safety
/// On the JavaScript thread, with `values` alive for this call. No
/// JavaScript may run while `f` does.
pub unsafe fn with_tape<R>(
    env: sys::napi_env,
    bytes: &[u8],
    values: sys::napi_value,
    keys: &[Box<str>],
    out: &mut Vec<u8>,
    f: impl FnOnce(TapeDatum<'_>, &mut Vec<u8>) -> R,
) -> Result<R, Malformed> {
    let used = word(bytes, USED).ok_or(Malformed)? as usize;
    if used <= HEADER_BYTES {
        return Err(Malformed);
    }
    let bytes = bytes.get(..used).ok_or(Malformed)?;
    let tape = Tape {
        env,
        bytes,
        keys,
        values,
    };
    let root = TapeDatum {
        tape: &tape,
        at: HEADER_BYTES,
    };
    // The root must span the rest of the tape exactly.
    if root.end() != Some(used) {
        return Err(Malformed);
    }
    out.clear();
    Ok(f(root, out))
}

/// A tape being read: its bytes, the thread's interned keys, and the
/// values the bytes cannot hold.
pub struct Tape<'t> {
    env: sys::napi_env,
    bytes: &'t [u8],
    keys: &'t [Box<str>],
    values: sys::napi_value,
}

/// One value of a [`Tape`], for the encoder: where its tag byte is.
#[derive(Clone, Copy)]
pub struct TapeDatum<'t> {
    tape: &'t Tape<'t>,
    at: usize,
}

fn malformed() -> RecordError {
    RecordError::new("the value was handed over malformed (not as tape.js writes it)")
}

impl<'t> TapeDatum<'t> {
    fn tag(&self) -> Option<u8> {
        self.tape.bytes.get(self.at).copied()
    }

    fn word(&self, offset: usize) -> Option<u32> {
        word(self.tape.bytes, self.at + offset)
    }

    fn double(&self) -> Option<f64> {
        let bytes = self.tape.bytes.get(self.at + 1..self.at + 9)?;
        Some(f64::from_le_bytes(bytes.try_into().ok()?))
    }

    /// UTF-8 of `length` bytes at `start`, if the tape holds it and it is.
    fn text(&self, start: usize, length: usize) -> Option<&'t str> {
        let bytes = self.tape.bytes.get(start..start.checked_add(length)?)?;
        // Most text is ASCII, which the inlined check settles without a call.
        if bytes.is_ascii() {
            // SAFETY: ASCII is UTF-8.
            return Some(unsafe { std::str::from_utf8_unchecked(bytes) });
        }
        std::str::from_utf8(bytes).ok()
    }

    /// Where the byte after this value is.
    fn end(&self) -> Option<usize> {
        let end = match self.tag()? {
            NULL | FALSE | TRUE | FUNCTION | SYMBOL | TOO_DEEP => self.at + 1,
            NUMBER | DATE => self.at + 9,
            STRING => self.at + 5 + self.word(1)? as usize,
            BIGINT | BYTES | TYPED_ARRAY => self.at + 5,
            ARRAY | OBJECT => self.word(5)? as usize,
            _ => return None,
        };
        (end > self.at && end <= self.tape.bytes.len()).then_some(end)
    }

    /// A container's items (an array's values, or an object's entries with
    /// their keys), each handed to `f` with its key. Fails as malformed if
    /// they do not fill the container exactly or number other than its count.
    fn walk(
        &self,
        object: bool,
        mut f: impl FnMut(&'t str, TapeDatum<'t>) -> Result<(), RecordError>,
    ) -> Result<(), RecordError> {
        let (Some(count), Some(end)) = (self.word(1), self.end()) else {
            return Err(malformed());
        };
        let mut at = self.at + 9;
        for _ in 0..count {
            let key = if object {
                let (key, value_at) = self.key(at).ok_or_else(malformed)?;
                at = value_at;
                key
            } else {
                ""
            };
            let item = TapeDatum {
                tape: self.tape,
                at,
            };
            let next = item
                .end()
                .filter(|&next| next <= end)
                .ok_or_else(malformed)?;
            f(key, item)?;
            at = next;
        }
        if at != end {
            return Err(malformed());
        }
        Ok(())
    }

    /// The key of the entry at `at`, and where its value starts.
    fn key(&self, at: usize) -> Option<(&'t str, usize)> {
        let word = word(self.tape.bytes, at)?;
        if word & INTERNED != 0 {
            let key = self.tape.keys.get((word & !INTERNED) as usize)?;
            return Some((key, at + 4));
        }
        let length = word as usize;
        Some((self.text(at + 4, length)?, at + 4 + length))
    }

    /// The JavaScript value held in the tape's array of values.
    fn held(&self) -> Option<sys::napi_value> {
        let index = self.word(1)?;
        let mut value = ptr::null_mut();
        // SAFETY: a live array handle on the JavaScript thread (with_tape's
        // contract); fails for an index past its end.
        let status =
            unsafe { sys::napi_get_element(self.tape.env, self.tape.values, index, &mut value) };
        (status == sys::Status::napi_ok).then_some(value)
    }

    fn number(&self) -> Option<f64> {
        (self.tag()? == NUMBER).then(|| self.double())?
    }
}

impl Datum for TapeDatum<'_> {
    fn kind(&self) -> DatumKind {
        match self.tag() {
            Some(NULL) => DatumKind::Null,
            Some(FALSE | TRUE) => DatumKind::Boolean,
            Some(NUMBER) => match self.double() {
                Some(n) if is_whole(n) && n.abs() <= i64::MAX as f64 => DatumKind::Integer,
                Some(_) => DatumKind::Float,
                None => DatumKind::Other("malformed value"),
            },
            Some(STRING) => DatumKind::String,
            Some(DATE) => DatumKind::Timestamp,
            Some(BIGINT) => DatumKind::Integer,
            Some(BYTES) => DatumKind::Bytes,
            Some(TYPED_ARRAY) => DatumKind::Other("typed array other than Uint8Array"),
            Some(ARRAY) => DatumKind::Array,
            Some(OBJECT) => DatumKind::Object,
            Some(FUNCTION) => DatumKind::Other("function"),
            Some(SYMBOL) => DatumKind::Other("symbol"),
            Some(TOO_DEEP) => DatumKind::Other("value nested too deeply"),
            _ => DatumKind::Other("malformed value"),
        }
    }

    fn as_bool(&self) -> Option<bool> {
        match self.tag()? {
            FALSE => Some(false),
            TRUE => Some(true),
            _ => None,
        }
    }

    fn as_long(&self) -> Option<i64> {
        if self.tag()? == BIGINT {
            let value = self.held()?;
            let (mut result, mut lossless) = (0i64, false);
            // SAFETY: a live handle; fails for anything but a BigInt.
            let status = unsafe {
                sys::napi_get_value_bigint_int64(self.tape.env, value, &mut result, &mut lossless)
            };
            return (status == sys::Status::napi_ok && lossless).then_some(result);
        }
        let n = self.number()?;
        // `i64::MAX as f64` rounds up to 2^63, which does not fit: strictly less.
        (is_whole(n) && n >= i64::MIN as f64 && n < i64::MAX as f64).then_some(n as i64)
    }

    fn as_double(&self) -> Option<f64> {
        if self.tag()? == BIGINT {
            return self.as_long().map(|n| n as f64);
        }
        self.number()
    }

    fn as_str(&self) -> Option<Cow<'_, str>> {
        if self.tag()? != STRING {
            return None;
        }
        let length = self.word(1)? as usize;
        self.text(self.at + 5, length).map(Cow::Borrowed)
    }

    fn as_bytes(&self) -> Option<Cow<'_, [u8]>> {
        if self.tag()? != BYTES {
            return None;
        }
        let mut array_type = 0;
        let mut length = 0usize;
        let mut data: *mut std::ffi::c_void = ptr::null_mut();
        // SAFETY: out-parameters are written on success; fails for anything
        // but a typed array.
        let status = unsafe {
            sys::napi_get_typedarray_info(
                self.tape.env,
                self.held()?,
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
            return Some(Cow::Borrowed(&[]));
        }
        // SAFETY: the array's storage stays put while the value is alive and
        // no JavaScript runs, which holds for the length of this call.
        Some(Cow::Borrowed(unsafe {
            std::slice::from_raw_parts(data.cast::<u8>(), length)
        }))
    }

    fn field(&self, name: &str) -> Option<Self> {
        if self.tag()? != OBJECT {
            return None;
        }
        let mut found = None;
        let _ = self.walk(true, |key, value| {
            if found.is_none() && key == name {
                found = Some(value);
            }
            Ok(())
        });
        found
    }

    fn count(&self) -> Option<usize> {
        match self.tag()? {
            ARRAY | OBJECT => self.word(1).map(|count| count as usize),
            _ => None,
        }
    }

    fn for_each_item<F>(&self, mut f: F) -> Result<(), RecordError>
    where
        F: FnMut(Self) -> Result<(), RecordError>,
    {
        if self.tag() == Some(ARRAY) {
            self.walk(false, |_, item| f(item))?;
        }
        Ok(())
    }

    fn for_each_entry<F>(&self, f: F) -> Result<(), RecordError>
    where
        F: FnMut(&str, Self) -> Result<(), RecordError>,
    {
        if self.tag() == Some(OBJECT) {
            self.walk(true, f)?;
        }
        Ok(())
    }

    fn as_timestamp_nanos(&self) -> Option<i128> {
        if self.tag()? != DATE {
            return None;
        }
        // An invalid Date (`new Date("x")`) holds NaN.
        let millis = self.double().filter(|millis| millis.is_finite())?;
        Some(millis as i128 * 1_000_000)
    }
}

/// Whether `n` is a whole number. Without SSE4.1 `f64::fract` is a call
/// into libm; past 2^63 in size every double is whole anyway, and the cast
/// (which saturates, and takes NaN to 0) keeps exactly the whole ones below.
fn is_whole(n: f64) -> bool {
    n.abs() >= 9_223_372_036_854_775_808.0 || (n as i64) as f64 == n
}
