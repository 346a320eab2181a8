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

/// Copies `bytes` into a fresh `malloc` block with a NUL after them, for
/// `eventbus_buffer_free`. The NUL makes decoded JSON a C string; it costs
/// encoded bytes nothing.
pub fn malloc_copy(bytes: &[u8]) -> Result<*mut u8, Failure> {
    // SAFETY: malloc with a non-zero size; a NULL result is handled.
    let block = unsafe { libc::malloc(bytes.len() + 1) }.cast::<u8>();
    if block.is_null() {
        return Err(Failure::new(
            eventbus_result::Internal,
            format!("out of memory allocating {} bytes", bytes.len() + 1),
        ));
    }
    // SAFETY: `block` has room for `bytes.len() + 1` bytes and does not
    // overlap `bytes`.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), block, bytes.len());
        *block.add(bytes.len()) = 0;
    }
    Ok(block)
}

/// Frees a buffer returned by `eventbus_serializer_encode` or
/// `eventbus_serializer_decode`. NULL is ignored.
///
/// Ownership: takes back the buffer; do not use it afterwards, and free
/// each buffer once. Threads: any thread, not only the one that got it.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_buffer_free(buffer: *mut std::ffi::c_void) {
    // SAFETY: the buffer came from `malloc_copy` (or is NULL, which free ignores).
    guard_or((), || unsafe { libc::free(buffer) })
}
