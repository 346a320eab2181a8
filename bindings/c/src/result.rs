//! The result codes of the C API and the calling thread's last error: the
//! one place a core [`eventbus::Error`] becomes a number C can switch on.
//!
//! Codes 1 to 99 are the core's error kinds, in the order of
//! `ErrorKind::ALL`; 100 to 199 are mistakes in the arguments a C caller
//! passed; 200 and up are failures inside the library. Numbers are never
//! reused or renumbered once released.

use std::cell::RefCell;
use std::ffi::{CString, c_char};

use eventbus::ErrorKind;

/// What a fallible `eventbus_` function returns. Values are stable.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum eventbus_result {
    /// Success; out-parameters were written.
    Ok = 0,
    /// Settings are missing, malformed or contradict the Event Bus rules;
    /// also an unbound topic, or a key for a topic without a key schema.
    Config = 1,
    /// A schema text is not a valid Avro schema, or uses an unsupported feature.
    InvalidSchema = 2,
    /// The schema registry could not be reached or answered with a server error.
    RegistryUnavailable = 3,
    /// The registry has no schema for the pinned id.
    SchemaNotFound = 4,
    /// Two copies of a pinned schema disagree, or a message names another schema id.
    SchemaMismatch = 5,
    /// A record does not match its schema; see `eventbus_last_error_field_path`.
    InvalidRecord = 6,
    /// Bytes are not a well-formed Confluent-framed Avro message.
    Decode = 7,
    /// The brokers refused the credentials, or they could not be produced.
    Auth = 8,
    /// A message could not be delivered; see `retriable` in the delivery report.
    Delivery = 9,
    /// An operation did not finish within its time limit.
    Timeout = 10,
    /// The producer was closed, or was created in the parent of a forked process.
    Closed = 11,
    /// The producer's local queue stayed full for longer than the enqueue timeout.
    QueueFull = 12,
    /// A pointer argument that must not be NULL was NULL.
    NullPointer = 100,
    /// A text argument is not valid UTF-8.
    InvalidUtf8 = 101,
    /// A JSON argument is not well-formed JSON.
    InvalidJson = 102,
    /// The caller's buffer cannot hold the result; nothing was written.
    BufferTooSmall = 103,
    /// A panic inside the library (a bug), or an error kind this version of
    /// the C API does not know. The library stays usable.
    Internal = 200,
}

impl eventbus_result {
    /// The code for a core error kind.
    pub fn from_kind(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::Config => eventbus_result::Config,
            ErrorKind::InvalidSchema => eventbus_result::InvalidSchema,
            ErrorKind::RegistryUnavailable => eventbus_result::RegistryUnavailable,
            ErrorKind::SchemaNotFound => eventbus_result::SchemaNotFound,
            ErrorKind::SchemaMismatch => eventbus_result::SchemaMismatch,
            ErrorKind::InvalidRecord => eventbus_result::InvalidRecord,
            ErrorKind::Decode => eventbus_result::Decode,
            ErrorKind::Auth => eventbus_result::Auth,
            ErrorKind::Delivery => eventbus_result::Delivery,
            ErrorKind::Timeout => eventbus_result::Timeout,
            ErrorKind::Closed => eventbus_result::Closed,
            ErrorKind::QueueFull => eventbus_result::QueueFull,
            // The core's kinds are non-exhaustive; one added later reaches C
            // as an internal error until it gets a number of its own.
            _ => eventbus_result::Internal,
        }
    }

    /// The stable name, NUL-terminated for C: the core's kind name for
    /// its kinds (`"invalid_record"`).
    fn c_name(self) -> &'static std::ffi::CStr {
        match self {
            eventbus_result::Ok => c"ok",
            eventbus_result::Config => c"config",
            eventbus_result::InvalidSchema => c"invalid_schema",
            eventbus_result::RegistryUnavailable => c"registry_unavailable",
            eventbus_result::SchemaNotFound => c"schema_not_found",
            eventbus_result::SchemaMismatch => c"schema_mismatch",
            eventbus_result::InvalidRecord => c"invalid_record",
            eventbus_result::Decode => c"decode",
            eventbus_result::Auth => c"auth",
            eventbus_result::Delivery => c"delivery",
            eventbus_result::Timeout => c"timeout",
            eventbus_result::Closed => c"closed",
            eventbus_result::QueueFull => c"queue_full",
            eventbus_result::NullPointer => c"null_pointer",
            eventbus_result::InvalidUtf8 => c"invalid_utf8",
            eventbus_result::InvalidJson => c"invalid_json",
            eventbus_result::BufferTooSmall => c"buffer_too_small",
            eventbus_result::Internal => c"internal",
        }
    }
}

/// Every code, for the name table and the tests.
const ALL_RESULTS: [eventbus_result; 18] = [
    eventbus_result::Ok,
    eventbus_result::Config,
    eventbus_result::InvalidSchema,
    eventbus_result::RegistryUnavailable,
    eventbus_result::SchemaNotFound,
    eventbus_result::SchemaMismatch,
    eventbus_result::InvalidRecord,
    eventbus_result::Decode,
    eventbus_result::Auth,
    eventbus_result::Delivery,
    eventbus_result::Timeout,
    eventbus_result::Closed,
    eventbus_result::QueueFull,
    eventbus_result::NullPointer,
    eventbus_result::InvalidUtf8,
    eventbus_result::InvalidJson,
    eventbus_result::BufferTooSmall,
    eventbus_result::Internal,
];

/// Why a call failed, before it is stored as the thread's last error.
#[derive(Debug)]
pub struct Failure {
    pub code: eventbus_result,
    pub message: String,
    pub field_path: Option<String>,
    pub retriable: bool,
}

impl Failure {
    pub fn new(code: eventbus_result, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            field_path: None,
            retriable: false,
        }
    }

    pub fn null(argument: &str) -> Self {
        Failure::new(
            eventbus_result::NullPointer,
            format!("{argument} is NULL; pass a valid pointer"),
        )
    }

    pub fn config(message: impl Into<String>) -> Self {
        Failure::from(eventbus::Error::Config(message.into()))
    }
}

impl From<eventbus::Error> for Failure {
    fn from(err: eventbus::Error) -> Self {
        Failure::from(&err)
    }
}

impl From<&eventbus::Error> for Failure {
    fn from(err: &eventbus::Error) -> Self {
        Failure {
            code: eventbus_result::from_kind(err.kind()),
            message: err.to_string(),
            field_path: err.field_path().map(str::to_owned),
            retriable: err.is_retriable(),
        }
    }
}

/// A failure as C reads it back.
struct LastError {
    code: eventbus_result,
    message: CString,
    field_path: Option<CString>,
    retriable: bool,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

/// Text for C: a NUL inside the text would cut it short, so it is replaced.
pub fn c_text(text: &str) -> CString {
    CString::new(text.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

/// Stores `failure` as this thread's last error and returns its code.
pub fn record(failure: Failure) -> eventbus_result {
    let code = failure.code;
    let last = LastError {
        code,
        message: c_text(&failure.message),
        field_path: failure.field_path.as_deref().map(c_text),
        retriable: failure.retriable,
    };
    // Fails only while the thread is exiting; the code is still returned.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = Some(last));
    code
}

/// Reads this thread's last error. The pointers handed to C stay valid
/// until the next failure on this thread replaces the value.
fn with_last<T>(read: impl Fn(Option<&LastError>) -> T) -> T {
    LAST_ERROR
        .try_with(|slot| read(slot.borrow().as_ref()))
        .unwrap_or_else(|_| read(None))
}

/// The stable name of a result code, such as `"invalid_record"`, or
/// `"unknown"` for a number that is not an `eventbus_result`.
///
/// Ownership: the string is static; do not free it. Threads: any.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_result_name(code: u32) -> *const c_char {
    ALL_RESULTS
        .into_iter()
        .find(|known| *known as u32 == code)
        .map_or(c"unknown".as_ptr(), |known| known.c_name().as_ptr())
}

/// The code of the last call that failed on this thread, or
/// `EVENTBUS_RESULT_OK` if none has.
///
/// Threads: any; each thread has its own last error.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_last_error_code() -> eventbus_result {
    with_last(|last| last.map_or(eventbus_result::Ok, |last| last.code))
}

/// The message of the last call that failed on this thread: what went
/// wrong and what to do about it. An empty string if no call has failed.
///
/// Ownership: borrowed from the library; valid until the next call into
/// this library on the same thread. Copy it (or use
/// `eventbus_last_error_message_copy`) to keep it. Threads: any; each
/// thread has its own last error.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_last_error_message() -> *const c_char {
    with_last(|last| last.map_or(c"".as_ptr(), |last| last.message.as_ptr()))
}

/// Copies the last error message of this thread into `buffer`, truncated
/// to `buffer_len - 1` bytes and always NUL-terminated (unless `buffer_len`
/// is 0). Returns the full length of the message without its NUL, as
/// `snprintf` does, so a return value `>= buffer_len` means it was cut.
///
/// `buffer` may be NULL only when `buffer_len` is 0. Ownership: the caller
/// owns `buffer`. Threads: any.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_last_error_message_copy(
    buffer: *mut c_char,
    buffer_len: usize,
) -> usize {
    with_last(|last| {
        let message = last.map_or(&[][..], |last| last.message.as_bytes());
        if !buffer.is_null() && buffer_len > 0 {
            let copied = message.len().min(buffer_len - 1);
            // SAFETY: the caller gives `buffer_len` writable bytes at `buffer`,
            // and `copied + 1 <= buffer_len`.
            unsafe {
                std::ptr::copy_nonoverlapping(message.as_ptr().cast(), buffer, copied);
                *buffer.add(copied) = 0;
            }
        }
        message.len()
    })
}

/// For an `EVENTBUS_RESULT_INVALID_RECORD` failure on this thread, the path
/// of the offending field (`facility.city`, `procedureCodes[2]`,
/// `attributes["plan"]`; an empty string for the record itself); NULL if
/// the last failure was of another kind, or none happened.
///
/// Ownership and threads: as `eventbus_last_error_message`.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_last_error_field_path() -> *const c_char {
    with_last(|last| {
        last.and_then(|last| last.field_path.as_ref())
            .map_or(std::ptr::null(), |path| path.as_ptr())
    })
}

/// Whether trying the last failed operation of this thread again may
/// succeed (an unreachable registry, a timeout, a full queue, a retriable
/// delivery failure). False if no call has failed.
///
/// Threads: any.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_last_error_retriable() -> bool {
    with_last(|last| last.is_some_and(|last| last.retriable))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_kind_has_its_own_code_named_as_the_core_names_it() {
        let mut seen = std::collections::HashSet::new();
        for kind in ErrorKind::ALL {
            let code = eventbus_result::from_kind(kind);
            assert_ne!(code, eventbus_result::Internal, "{kind} has no code");
            assert!(seen.insert(code), "{kind} shares a code");
            assert_eq!(code.c_name().to_str().unwrap(), kind.as_str());
        }
    }

    #[test]
    fn unknown_numbers_are_named_unknown() {
        // SAFETY: the returned pointer is a static C string.
        let unknown = unsafe { std::ffi::CStr::from_ptr(eventbus_result_name(57)) };
        assert_eq!(unknown.to_str().unwrap(), "unknown");
    }

    #[test]
    fn the_last_error_keeps_the_field_path_and_copies_truncated() {
        let err = eventbus::Error::InvalidRecord {
            field_path: "facility.city".into(),
            problem: "expected string, found null".into(),
        };
        assert_eq!(record(Failure::from(err)), eventbus_result::InvalidRecord);
        // SAFETY: both pointers were just returned by the library and are
        // NUL-terminated.
        let path = unsafe { std::ffi::CStr::from_ptr(eventbus_last_error_field_path()) };
        assert_eq!(path.to_str().unwrap(), "facility.city");
        let mut small = [0 as c_char; 8];
        let full = eventbus_last_error_message_copy(small.as_mut_ptr(), small.len());
        // SAFETY: the copy is NUL-terminated within the buffer.
        let copied = unsafe { std::ffi::CStr::from_ptr(small.as_ptr()) };
        assert_eq!(copied.to_str().unwrap(), "invalid");
        assert!(full > small.len());
    }
}
