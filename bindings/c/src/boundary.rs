//! The panic boundary every export runs behind, and the checks that turn a
//! C caller's pointers into Rust references: NULL is refused, text must be
//! UTF-8, and out-parameters are written only once the work succeeded.

use std::ffi::{CStr, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use eventbus::avro::JsonText;

use crate::result::{Failure, eventbus_result, record};

/// Runs the body of an export: a failure becomes the thread's last error
/// and its code, and a panic becomes `EVENTBUS_RESULT_INTERNAL` instead of
/// unwinding into C.
pub fn guard(body: impl FnOnce() -> Result<(), Failure>) -> eventbus_result {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => eventbus_result::Ok,
        Ok(Err(failure)) => record(failure),
        Err(payload) => record(Failure::new(
            eventbus_result::Internal,
            format!(
                "internal error in libeventbus (a bug; the library is still usable): {}",
                panic_text(payload.as_ref())
            ),
        )),
    }
}

/// Runs an export that cannot report failure (a `_free`, a getter): a
/// panic is swallowed and `fallback` returned.
pub fn guard_or<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| text.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// `*pointer`, or a NULL-pointer failure naming the argument.
///
/// # Safety
/// A non-NULL `pointer` must point to a live `T` for `'a`.
pub unsafe fn borrow<'a, T>(pointer: *const T, argument: &str) -> Result<&'a T, Failure> {
    // SAFETY: the caller's contract.
    unsafe { pointer.as_ref() }.ok_or_else(|| Failure::null(argument))
}

/// Checks an out-parameter before any work is done, so that a NULL one is
/// reported without side effects.
pub fn out<T>(pointer: *mut T, argument: &str) -> Result<*mut T, Failure> {
    if pointer.is_null() {
        Err(Failure::null(argument))
    } else {
        Ok(pointer)
    }
}

/// A NUL-terminated UTF-8 string argument.
///
/// # Safety
/// A non-NULL `pointer` must point to a NUL-terminated string alive for `'a`.
pub unsafe fn text<'a>(pointer: *const c_char, argument: &str) -> Result<&'a str, Failure> {
    if pointer.is_null() {
        return Err(Failure::null(argument));
    }
    // SAFETY: the caller's contract.
    let bytes = unsafe { CStr::from_ptr(pointer) }.to_bytes();
    utf8(bytes, argument)
}

/// Like [`text`], but NULL means "not given".
///
/// # Safety
/// As [`text`].
pub unsafe fn optional_text<'a>(
    pointer: *const c_char,
    argument: &str,
) -> Result<Option<&'a str>, Failure> {
    if pointer.is_null() {
        Ok(None)
    } else {
        // SAFETY: the caller's contract.
        unsafe { text(pointer, argument) }.map(Some)
    }
}

/// `len` bytes at `pointer`; NULL is accepted only with a length of 0.
///
/// # Safety
/// A non-NULL `pointer` must point to `len` readable bytes alive for `'a`.
pub unsafe fn bytes<'a>(
    pointer: *const u8,
    len: usize,
    argument: &str,
) -> Result<&'a [u8], Failure> {
    if pointer.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Failure::null(argument))
        };
    }
    // SAFETY: the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(pointer, len) })
}

pub fn utf8<'a>(bytes: &'a [u8], argument: &str) -> Result<&'a str, Failure> {
    std::str::from_utf8(bytes).map_err(|err| {
        Failure::new(
            eventbus_result::InvalidUtf8,
            format!("{argument} is not valid UTF-8: {err}"),
        )
    })
}

/// Parses a JSON document given as `len` bytes at `pointer`, into the
/// core's borrowed form for encoding.
///
/// # Safety
/// As [`bytes`], and the bytes stay put for `'a`.
pub unsafe fn json<'a>(
    pointer: *const c_char,
    len: usize,
    argument: &str,
) -> Result<JsonText<'a>, Failure> {
    // SAFETY: the caller's contract.
    let document = unsafe { bytes(pointer.cast(), len, argument) }?;
    JsonText::parse_bytes(document).map_err(|err| {
        if err.is_utf8() {
            Failure::new(eventbus_result::InvalidUtf8, format!("{argument} is {err}"))
        } else {
            Failure::new(
                eventbus_result::InvalidJson,
                format!("{argument} is not well-formed JSON: {err}"),
            )
        }
    })
}

/// Moves `value` to the heap for C, which frees it with the matching `_free`.
pub fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// A buffer handed to C and freed by `eventbus_buffer_free`: a Rust
/// allocation with a prefix before the caller's bytes that records its
/// capacity, so that it can be given back with the layout it was made
/// with. Encoding writes straight into one, after the prefix, as the core's
/// own `encode` writes into a new `Vec`: no second buffer, no copy.
pub struct Block(Vec<u8>);

/// The prefix: the capacity in its first word, then padding that keeps the
/// caller's bytes as aligned as `malloc`'s.
const BLOCK_PREFIX: usize = 16;

/// Room for a small message from the start, as the core's `encode` makes.
const BLOCK_FIRST_CAPACITY: usize = 256;

impl Block {
    /// An empty block with room for a small message.
    pub fn new() -> Block {
        Block::with_capacity(BLOCK_FIRST_CAPACITY)
    }

    pub fn with_capacity(capacity: usize) -> Block {
        let mut bytes = Vec::with_capacity(BLOCK_PREFIX + capacity);
        bytes.resize(BLOCK_PREFIX, 0);
        Block(bytes)
    }

    /// A block holding a copy of `bytes`.
    pub fn copy_of(bytes: &[u8]) -> Block {
        let mut block = Block::with_capacity(bytes.len() + 1);
        block.0.extend_from_slice(bytes);
        block
    }

    /// The vector to append the caller's bytes to, after the prefix.
    pub fn vec(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }

    /// Hands the block to C: the caller's bytes with a NUL after them (which
    /// makes decoded JSON a C string, and costs encoded bytes nothing), and
    /// their length without it.
    pub fn into_raw(self) -> (*mut u8, usize) {
        let mut bytes = std::mem::ManuallyDrop::new(self.0);
        let len = bytes.len() - BLOCK_PREFIX;
        bytes.push(0);
        let capacity = bytes.capacity();
        let start = bytes.as_mut_ptr();
        // SAFETY: the prefix's first bytes hold the capacity, which fits in
        // them (BLOCK_PREFIX >= size_of::<usize>()); the allocation may be
        // byte-aligned only, hence the unaligned write.
        unsafe {
            start.cast::<usize>().write_unaligned(capacity);
            (start.add(BLOCK_PREFIX), len)
        }
    }

    /// Takes back a block `into_raw` handed out.
    ///
    /// # Safety
    /// `bytes` came from `Block::into_raw` and is taken back once.
    unsafe fn from_raw(bytes: *mut u8) -> Block {
        // SAFETY: the caller's contract: the prefix is just before `bytes`,
        // in the same allocation, and holds its capacity.
        unsafe {
            let start = bytes.sub(BLOCK_PREFIX);
            let capacity = start.cast::<usize>().read_unaligned();
            Block(Vec::from_raw_parts(start, 0, capacity))
        }
    }
}

/// Frees a buffer returned by `eventbus_serializer_encode` or
/// `eventbus_serializer_decode`. NULL is ignored.
///
/// Ownership: takes back the buffer; do not use it afterwards, and free
/// each buffer once. Threads: any thread, not only the one that got it.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_buffer_free(buffer: *mut std::ffi::c_void) {
    guard_or((), || {
        if !buffer.is_null() {
            // SAFETY: the caller's contract: a buffer this library handed
            // out, freed once.
            drop(unsafe { Block::from_raw(buffer.cast()) });
        }
    })
}
