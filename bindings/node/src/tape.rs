//! JavaScript values as `tape.js` writes them for the encoder ([`Tape`]),
//! read by the core through its value trait ([`TapeDatum`]).
//!
//! Reading a JavaScript object through N-API costs a call or two per
//! property, and each costs more than V8 takes to run a whole small record
//! through JavaScript. So `tape.js` walks the value in JavaScript and hands
//! the addon three things in one call: a `Float64Array` of slots, one string
//! holding every key and string value end to end, and an array of the few
//! values that slots cannot hold (`Buffer`s and other typed arrays,
//! `BigInt`s). This module reads them back into a flat list of nodes, in one
//! pass, with no allocation once its thread's scratch lists have grown.
//!
//! Each value takes two slots, its tag and its payload. A slot holds a
//! number as its double, or a whole number (tag, length, count, index) in
//! its low four bytes:
//!
//! | tag | payload |
//! |---|---|
//! | `NULL`, `FALSE`, `TRUE`, `FUNCTION`, `SYMBOL`, `TOO_DEEP` | unused |
//! | `NUMBER` | the number |
//! | `STRING` | its length in UTF-16 units; the text is next in the string |
//! | `DATE` | its milliseconds (NaN for an invalid `Date`) |
//! | `BIGINT`, `BYTES`, `TYPED_ARRAY` | its index in the array of values |
//! | `ARRAY` | its length; the items follow |
//! | `OBJECT` | its number of entries; each is a key slot, then the value |
//!
//! A key slot holds, in its low four bytes, the key's id when its high four
//! bytes are 1, or else (high bytes 0) the key's length in UTF-16 units, the
//! key being next in the string. Ids are handed out by [`intern_key`]: a
//! record's keys are the same from one message to the next, so each is
//! written once per thread rather than once per message, up to
//! [`KEYS_INTERNED`] keys, after which keys go in the string.
//!
//! The tags are numbered alike in `tape.js`. An object lists its own
//! enumerable string keys whose values are not `undefined`, as
//! `JSON.stringify` does. Anything malformed (a call made by hand) fails as
//! misuse; it cannot make the reader misbehave.

use std::borrow::Cow;
use std::cell::RefCell;
use std::ptr;

use eventbus::avro::{Datum, DatumKind, RecordError};
use napi::sys;

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

/// `tape.js` stops descending below this depth and writes `TOO_DEEP`; the
/// reader refuses anything deeper, so a hand-made tape cannot recurse far.
const MAX_DEPTH: usize = 66;

/// How many distinct keys a thread interns; past them (keys that are data,
/// as a map's are) keys travel in the tape's text.
const KEYS_INTERNED: usize = 4096;

/// A node's key range when the key is interned: its id is the range's end.
const INTERNED: u32 = u32::MAX;

/// Scratch kept between calls while it stays this small, so that one huge
/// record does not hold its memory for the life of the thread.
const SCRATCH_KEPT: usize = 64 * 1024;

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// What reading a tape and encoding it need, kept from call to call on
/// the JavaScript thread (one per thread: the main one, a worker's).
#[derive(Default)]
struct Scratch {
    nodes: Vec<Node>,
    text: Vec<u8>,
    wide: Vec<u16>,
    /// Where the caller encodes to.
    out: Vec<u8>,
    /// Interned keys, by id.
    keys: Vec<Box<str>>,
}

/// Interns an object key for the tapes of this thread and returns its id,
/// or nothing once the thread has interned as many as it keeps. Called by
/// `tape.js` the first time it meets a key; its ids come only from here, so
/// the two sides cannot disagree on one.
#[napi(js_name = "_internKey", skip_typescript)]
pub fn intern_key(key: String) -> Option<u32> {
    SCRATCH.with(|cell| {
        let mut scratch = cell.try_borrow_mut().ok()?;
        if scratch.keys.len() >= KEYS_INTERNED {
            return None;
        }
        scratch.keys.push(key.into_boxed_str());
        Some(scratch.keys.len() as u32 - 1)
    })
}

/// One value of the tape.
#[derive(Clone, Copy)]
struct Node {
    tag: u8,
    /// The number, a `Date`'s milliseconds, a length, or an index into the
    /// array of values.
    payload: f64,
    /// A string's text, as a byte range of the tape's text.
    text: (u32, u32),
    /// The key of an object entry, as a byte range of the tape's text, or
    /// (`INTERNED`, its id).
    key: (u32, u32),
    /// The index of the node after this one and everything inside it.
    end: u32,
}

/// A tape, read: its nodes, their text, the thread's interned keys, and the
/// values slots cannot hold.
pub struct Tape<'t> {
    env: sys::napi_env,
    nodes: &'t [Node],
    text: &'t str,
    keys: &'t [Box<str>],
    values: sys::napi_value,
}

/// Why a tape could not be read: never the caller's record, always a call
/// that `tape.js` did not make.
pub struct Malformed;

/// The parts of a tape as JavaScript handed them over: `slots` should be a
/// `Float64Array` of at least `used` slots, `text` a string and `values` an
/// array; anything else makes the tape [`Malformed`].
#[derive(Clone, Copy)]
pub struct Parts {
    pub slots: sys::napi_value,
    pub used: usize,
    pub text: sys::napi_value,
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
        let mut used = 0u32;
        // SAFETY: fails for anything but a number.
        if unsafe { sys::napi_get_value_uint32(env, property(c"used")?, &mut used) }
            != sys::Status::napi_ok
        {
            return Err(Malformed);
        }
        Ok(Parts {
            slots: property(c"slots")?,
            used: used as usize,
            text: property(c"text")?,
            values: property(c"values")?,
        })
    }
}

/// Reads the tape and hands `f` its first value, and an empty `Vec` to
/// write to.
///
/// # Safety
/// On the JavaScript thread, with the parts' handles alive for this call.
/// No JavaScript may run while `f` does.
pub unsafe fn with_tape<R>(
    env: sys::napi_env,
    Parts {
        slots,
        used,
        text,
        values,
    }: Parts,
    f: impl FnOnce(TapeDatum<'_>, &mut Vec<u8>) -> R,
) -> Result<R, Malformed> {
    // SAFETY: the caller's contract.
    let slots = unsafe { float64_slots(env, slots) }.ok_or(Malformed)?;
    let slots = slots.get(..used).ok_or(Malformed)?;
    SCRATCH.with(|cell| {
        // No JavaScript runs while a tape is read, so no call nests here.
        let mut scratch = cell.try_borrow_mut().map_err(|_| Malformed)?;
        let Scratch {
            nodes,
            text: bytes,
            wide,
            out,
            keys,
        } = &mut *scratch;
        nodes.clear();
        // SAFETY: the caller's contract.
        let units = unsafe { read_text(env, text, bytes, wide) }.ok_or(Malformed)?;
        let mut reader = Reader {
            slots,
            at: 0,
            nodes,
            text: bytes,
            wide,
            ascii: units.ascii,
            unit_at: 0,
            keys_interned: keys.len(),
        };
        reader.value(0, (0, 0))?;
        if reader.at != slots.len() || reader.unit_at != units.count {
            return Err(Malformed);
        }
        let result = {
            // SAFETY: the text is UTF-8: either every byte is ASCII (checked
            // by `read_text`), or it was built by the reader from `char`s.
            let text = unsafe { std::str::from_utf8_unchecked(bytes) };
            let tape = Tape {
                env,
                nodes,
                text,
                keys,
                values,
            };
            out.clear();
            let root = TapeDatum {
                tape: &tape,
                index: 0,
            };
            f(root, out)
        };
        if nodes.capacity() * size_of::<Node>() > SCRATCH_KEPT {
            *nodes = Vec::new();
        }
        if bytes.capacity() > SCRATCH_KEPT {
            *bytes = Vec::new();
        }
        if wide.capacity() * 2 > SCRATCH_KEPT {
            *wide = Vec::new();
        }
        if out.capacity() > SCRATCH_KEPT {
            *out = Vec::new();
        }
        Ok(result)
    })
}

/// The slots of a `Float64Array`, borrowed for the call.
///
/// # Safety
/// On the JavaScript thread, with `value` alive and no JavaScript running
/// while the slice is used.
unsafe fn float64_slots<'t>(env: sys::napi_env, value: sys::napi_value) -> Option<&'t [f64]> {
    // SAFETY: the caller's contract.
    let (array_type, data, length) = unsafe { typed_array(env, value) }?;
    if array_type != sys::TypedarrayType::float64_array {
        return None;
    }
    if length == 0 {
        return Some(&[]);
    }
    if data.is_null() || data.align_offset(align_of::<f64>()) != 0 {
        return None;
    }
    // SAFETY: a Float64Array's `length` aligned doubles, which stay put while
    // no JavaScript runs.
    Some(unsafe { std::slice::from_raw_parts(data.cast::<f64>(), length) })
}

/// A typed array's element type, data and length in elements.
///
/// # Safety
/// On the JavaScript thread, with `value` alive.
unsafe fn typed_array(
    env: sys::napi_env,
    value: sys::napi_value,
) -> Option<(i32, *mut std::ffi::c_void, usize)> {
    let mut array_type = 0;
    let mut length = 0usize;
    let mut data: *mut std::ffi::c_void = ptr::null_mut();
    // SAFETY: out-parameters are written on success; fails for anything but
    // a typed array.
    let status = unsafe {
        sys::napi_get_typedarray_info(
            env,
            value,
            &mut array_type,
            &mut length,
            &mut data,
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    (status == sys::Status::napi_ok).then_some((array_type, data, length))
}

/// How the tape's text was read.
struct Units {
    /// Its length in UTF-16 units.
    count: usize,
    /// Whether it is all ASCII, so that byte and unit offsets agree.
    ascii: bool,
}

/// Reads the tape's text as UTF-16 into `wide`, and, when it is all ASCII
/// (the common case), narrows it into `bytes` in one pass. Other text is
/// converted piece by piece as the slots are read, so that a lone surrogate
/// at the end of one string and another at the start of the next stay two
/// replacement characters, as they would read apart. (V8 copies a string
/// out as UTF-16 faster than it converts it to UTF-8.)
///
/// # Safety
/// On the JavaScript thread, with `text` alive.
unsafe fn read_text(
    env: sys::napi_env,
    text: sys::napi_value,
    bytes: &mut Vec<u8>,
    wide: &mut Vec<u16>,
) -> Option<Units> {
    let mut count = 0usize;
    // SAFETY: a null buffer asks for the length only; fails for non-strings.
    let status =
        unsafe { sys::napi_get_value_string_utf16(env, text, ptr::null_mut(), 0, &mut count) };
    // Ranges of the text are u32, and u32::MAX marks an interned key.
    if status != sys::Status::napi_ok || count >= INTERNED as usize {
        return None;
    }
    wide.clear();
    wide.reserve(count + 1);
    let mut written = 0usize;
    // SAFETY: `wide` has room for `count + 1` units, and N-API writes no
    // more than the size given, its NUL included.
    let status = unsafe {
        sys::napi_get_value_string_utf16(env, text, wide.as_mut_ptr(), count + 1, &mut written)
    };
    if status != sys::Status::napi_ok || written != count {
        return None;
    }
    // SAFETY: N-API wrote `count` units.
    unsafe { wide.set_len(count) };
    bytes.clear();
    // Folded rather than searched, so that the loop vectorizes.
    let ascii = wide.iter().fold(0u16, |seen, &unit| seen | unit) < 0x80;
    if ascii {
        bytes.extend(wide.iter().map(|&unit| unit as u8));
    }
    Some(Units { count, ascii })
}

/// Reads slots into nodes, and the text each string or key takes.
struct Reader<'r> {
    slots: &'r [f64],
    at: usize,
    nodes: &'r mut Vec<Node>,
    /// The tape's text in UTF-8: all of it when it is ASCII, or else what
    /// has been converted from `wide` so far.
    text: &'r mut Vec<u8>,
    wide: &'r [u16],
    ascii: bool,
    /// Where the next piece of text starts, in UTF-16 units.
    unit_at: usize,
    /// How many keys the thread has interned: ids below this are known.
    keys_interned: usize,
}

impl Reader<'_> {
    fn slot(&mut self) -> Result<f64, Malformed> {
        let slot = *self.slots.get(self.at).ok_or(Malformed)?;
        self.at += 1;
        Ok(slot)
    }

    /// A tag, length, count or index slot: the whole number in its low four
    /// bytes (how `tape.js` writes them).
    fn whole(&mut self) -> Result<u32, Malformed> {
        Ok(self.slot()?.to_bits() as u32)
    }

    /// The next `units` UTF-16 units of text, as a byte range of the text.
    #[inline(always)]
    fn piece(&mut self, units: u32) -> Result<(u32, u32), Malformed> {
        let start = self.unit_at;
        let end = start + units as usize;
        if !self.ascii {
            return self.converted_piece(end);
        }
        if end > self.text.len() {
            return Err(Malformed);
        }
        self.unit_at = end;
        // The text is shorter than 2^32 units: `with_tape` checked.
        Ok((start as u32, end as u32))
    }

    /// As [`Reader::piece`], for text that is not all ASCII: the piece is
    /// converted from UTF-16 and appended to the UTF-8 text.
    #[inline(never)]
    fn converted_piece(&mut self, end: usize) -> Result<(u32, u32), Malformed> {
        let piece = self.wide.get(self.unit_at..end).ok_or(Malformed)?;
        let start = self.text.len();
        let mut utf8 = [0u8; 4];
        for character in char::decode_utf16(piece.iter().copied()) {
            let character = character.unwrap_or(char::REPLACEMENT_CHARACTER);
            self.text
                .extend_from_slice(character.encode_utf8(&mut utf8).as_bytes());
        }
        self.unit_at = end;
        let narrow = |n: usize| u32::try_from(n).map_err(|_| Malformed);
        Ok((narrow(start)?, narrow(self.text.len())?))
    }

    /// A key slot: an interned key's id, or the length of the key's text.
    fn key(&mut self) -> Result<(u32, u32), Malformed> {
        let bits = self.slot()?.to_bits();
        let low = bits as u32;
        match bits >> 32 {
            0 => self.piece(low),
            1 if (low as usize) < self.keys_interned => Ok((INTERNED, low)),
            _ => Err(Malformed),
        }
    }

    fn value(&mut self, depth: usize, key: (u32, u32)) -> Result<(), Malformed> {
        let tag = self.whole()?;
        if depth > MAX_DEPTH || tag > u32::from(TOO_DEEP) {
            return Err(Malformed);
        }
        let tag = tag as u8;
        let index = self.nodes.len();
        let mut node = Node {
            tag,
            payload: 0.0,
            text: (0, 0),
            key,
            end: 0,
        };
        match tag {
            STRING => {
                let units = self.whole()?;
                node.text = self.piece(units)?;
                self.nodes.push(node);
            }
            ARRAY | OBJECT => {
                let count = self.whole()?;
                node.payload = f64::from(count);
                self.nodes.push(node);
                for _ in 0..count {
                    let key = if tag == OBJECT { self.key()? } else { (0, 0) };
                    self.value(depth + 1, key)?;
                }
            }
            BIGINT | BYTES | TYPED_ARRAY => {
                node.payload = f64::from(self.whole()?);
                self.nodes.push(node);
            }
            _ => {
                node.payload = self.slot()?;
                self.nodes.push(node);
            }
        }
        self.nodes[index].end = u32::try_from(self.nodes.len()).map_err(|_| Malformed)?;
        Ok(())
    }
}

/// One value of a [`Tape`], for the encoder.
#[derive(Clone, Copy)]
pub struct TapeDatum<'t> {
    tape: &'t Tape<'t>,
    index: u32,
}

impl<'t> TapeDatum<'t> {
    fn node(&self) -> &'t Node {
        &self.tape.nodes[self.index as usize]
    }

    fn text(&self, (start, end): (u32, u32)) -> &'t str {
        // Ranges come from the reader, on character boundaries of this text.
        self.tape
            .text
            .get(start as usize..end as usize)
            .unwrap_or("")
    }

    /// The key of this object entry.
    fn key(&self) -> &'t str {
        match self.node().key {
            (INTERNED, id) => self.tape.keys.get(id as usize).map_or("", |key| key),
            range => self.text(range),
        }
    }

    /// The container's children: each one's index, then the next's.
    fn children(&self) -> impl Iterator<Item = TapeDatum<'t>> + 't {
        let tape = self.tape;
        let end = self.node().end;
        let mut next = self.index + 1;
        std::iter::from_fn(move || {
            (next < end).then(|| {
                let child = TapeDatum { tape, index: next };
                next = tape.nodes[next as usize].end;
                child
            })
        })
    }

    /// The JavaScript value held in the tape's array of values.
    fn held(&self) -> Option<sys::napi_value> {
        let mut value = ptr::null_mut();
        // SAFETY: a live array handle on the JavaScript thread (with_tape's
        // contract); fails for an index past its end.
        let status = unsafe {
            sys::napi_get_element(
                self.tape.env,
                self.tape.values,
                self.node().payload as u32,
                &mut value,
            )
        };
        (status == sys::Status::napi_ok).then_some(value)
    }

    fn number(&self) -> Option<f64> {
        (self.node().tag == NUMBER).then_some(self.node().payload)
    }
}

impl Datum for TapeDatum<'_> {
    fn kind(&self) -> DatumKind {
        match self.node().tag {
            NULL => DatumKind::Null,
            FALSE | TRUE => DatumKind::Boolean,
            NUMBER => {
                let n = self.node().payload;
                if is_whole(n) && n.abs() <= i64::MAX as f64 {
                    DatumKind::Integer
                } else {
                    DatumKind::Float
                }
            }
            STRING => DatumKind::String,
            DATE => DatumKind::Timestamp,
            BIGINT => DatumKind::Integer,
            BYTES => DatumKind::Bytes,
            TYPED_ARRAY => DatumKind::Other("typed array other than Uint8Array"),
            ARRAY => DatumKind::Array,
            OBJECT => DatumKind::Object,
            FUNCTION => DatumKind::Other("function"),
            SYMBOL => DatumKind::Other("symbol"),
            _ => DatumKind::Other("value nested too deeply"),
        }
    }

    fn as_bool(&self) -> Option<bool> {
        match self.node().tag {
            FALSE => Some(false),
            TRUE => Some(true),
            _ => None,
        }
    }

    fn as_long(&self) -> Option<i64> {
        if self.node().tag == BIGINT {
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
        if self.node().tag == BIGINT {
            return self.as_long().map(|n| n as f64);
        }
        self.number()
    }

    fn as_str(&self) -> Option<Cow<'_, str>> {
        (self.node().tag == STRING).then(|| Cow::Borrowed(self.text(self.node().text)))
    }

    fn as_bytes(&self) -> Option<Cow<'_, [u8]>> {
        if self.node().tag != BYTES {
            return None;
        }
        // SAFETY: a live handle, on the JavaScript thread.
        let (array_type, data, length) = unsafe { typed_array(self.tape.env, self.held()?) }?;
        if array_type != sys::TypedarrayType::uint8_array {
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
        if self.node().tag != OBJECT {
            return None;
        }
        self.children().find(|child| child.key() == name)
    }

    fn count(&self) -> Option<usize> {
        match self.node().tag {
            ARRAY | OBJECT => Some(self.node().payload as usize),
            _ => None,
        }
    }

    fn for_each_item<F>(&self, mut f: F) -> Result<(), RecordError>
    where
        F: FnMut(Self) -> Result<(), RecordError>,
    {
        if self.node().tag == ARRAY {
            for child in self.children() {
                f(child)?;
            }
        }
        Ok(())
    }

    fn for_each_entry<F>(&self, mut f: F) -> Result<(), RecordError>
    where
        F: FnMut(&str, Self) -> Result<(), RecordError>,
    {
        if self.node().tag == OBJECT {
            for child in self.children() {
                f(child.key(), child)?;
            }
        }
        Ok(())
    }

    fn as_timestamp_nanos(&self) -> Option<i128> {
        let millis = self.node().payload;
        // An invalid Date (`new Date("x")`) holds NaN.
        (self.node().tag == DATE && millis.is_finite()).then(|| millis as i128 * 1_000_000)
    }
}

/// Whether `n` is a whole number. Without SSE4.1 `f64::fract` is a call
/// into libm; past 2^63 in size every double is whole anyway, and the cast
/// (which saturates, and takes NaN to 0) keeps exactly the whole ones below.
fn is_whole(n: f64) -> bool {
    n.abs() >= 9_223_372_036_854_775_808.0 || (n as i64) as f64 == n
}
