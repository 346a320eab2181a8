//! `eventbus_serializer`: one pinned schema; encode JSON text into
//! Confluent-framed bytes and decode them back into JSON text. The JSON is
//! the natural JSON the core reads and writes (see README.md, "Values in
//! JSON"); this file only parses and prints it.

use std::cell::RefCell;
use std::ffi::c_char;

use eventbus::{RegistryClient, RegistryConfig, Serializer};

use crate::boundary::{Block, borrow, bytes, guard, guard_or, into_handle, json, out, text};
use crate::result::{Failure, eventbus_result};

/// Encodes and decodes with one pinned schema. Made by
/// `eventbus_serializer_new_from_schema` or
/// `eventbus_serializer_new_from_registry`, freed by
/// `eventbus_serializer_free`.
pub struct eventbus_serializer {
    serializer: Serializer,
}

thread_local! {
    /// Where `eventbus_serializer_encode_to` encodes before copying into
    /// the caller's buffer, kept from call to call.
    static ENCODE_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Makes a serializer from a local copy of the schema alone, with no
/// registry: `schema_text` is the `.avsc` JSON (`schema_text_len` bytes, no
/// NUL needed) and `schema_id` the id written into every message.
///
/// Fails with `EVENTBUS_RESULT_INVALID_SCHEMA` if the text is not a
/// supported Avro schema. On success `*serializer_out` is a new handle that
/// the caller owns and frees with `eventbus_serializer_free`. Threads: any.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_serializer_new_from_schema(
    schema_id: u32,
    schema_text: *const c_char,
    schema_text_len: usize,
    serializer_out: *mut *mut eventbus_serializer,
) -> eventbus_result {
    guard(|| {
        let serializer_out = out(serializer_out, "serializer_out")?;
        // SAFETY: the caller gives `schema_text_len` readable bytes.
        let schema = unsafe { bytes(schema_text.cast(), schema_text_len, "schema_text") }?;
        let schema = crate::boundary::utf8(schema, "schema_text")?;
        let serializer = Serializer::from_schema_text(schema_id, schema)?;
        // SAFETY: checked non-NULL.
        unsafe { *serializer_out = into_handle(eventbus_serializer { serializer }) };
        Ok(())
    })
}

/// Makes a serializer whose schema is fetched, once, from the schema
/// registry at `registry_url` (comma-separated base URLs, tried in order)
/// by `schema_id`. `path_prefix` is the path between the base URL and the
/// registry API (such as `/apis/ccompat/v7`), or NULL for none.
///
/// Blocks while the registry is asked, retrying transient failures for up
/// to 10 s. Fails with `EVENTBUS_RESULT_SCHEMA_NOT_FOUND`,
/// `EVENTBUS_RESULT_REGISTRY_UNAVAILABLE`, `EVENTBUS_RESULT_INVALID_SCHEMA`
/// or `EVENTBUS_RESULT_CONFIG` (a malformed URL). Ownership of
/// `*serializer_out` and threads: as `eventbus_serializer_new_from_schema`.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_serializer_new_from_registry(
    schema_id: u32,
    registry_url: *const c_char,
    path_prefix: *const c_char,
    serializer_out: *mut *mut eventbus_serializer,
) -> eventbus_result {
    guard(|| {
        let serializer_out = out(serializer_out, "serializer_out")?;
        // SAFETY: NUL-terminated strings (or NULL for the prefix).
        let registry_url = unsafe { text(registry_url, "registry_url") }?;
        let path_prefix = unsafe { crate::boundary::optional_text(path_prefix, "path_prefix") }?;
        let mut registry = RegistryConfig::new(registry_url)?;
        registry.path_prefix = path_prefix
            .filter(|prefix| !prefix.is_empty())
            .map(str::to_owned);
        let serializer = Serializer::builder()
            .schema_id(schema_id)
            .registry(RegistryClient::new(&registry)?)
            .build()?;
        // SAFETY: checked non-NULL.
        unsafe { *serializer_out = into_handle(eventbus_serializer { serializer }) };
        Ok(())
    })
}

/// The schema id this serializer writes into every message, or 0 for a
/// NULL serializer. Threads: any.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_serializer_schema_id(serializer: *const eventbus_serializer) -> u32 {
    // SAFETY: a live handle or NULL.
    guard_or(0, || {
        unsafe { serializer.as_ref() }.map_or(0, |s| s.serializer.schema_id())
    })
}

/// Validates the JSON record `json_text` (`json_len` bytes, no NUL needed)
/// against the schema and writes the framed message: a zero byte, the
/// schema id (4 bytes, big-endian), the Avro datum.
///
/// An invalid record fails with `EVENTBUS_RESULT_INVALID_RECORD`, and
/// `eventbus_last_error_field_path` names the field; malformed JSON fails
/// with `EVENTBUS_RESULT_INVALID_JSON`. On success `*bytes_out` is a new
/// buffer of `*bytes_len_out` bytes that the caller owns and frees with
/// `eventbus_buffer_free`. Threads: any, concurrently on one serializer.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_serializer_encode(
    serializer: *const eventbus_serializer,
    json_text: *const c_char,
    json_len: usize,
    bytes_out: *mut *mut u8,
    bytes_len_out: *mut usize,
) -> eventbus_result {
    guard(|| {
        // SAFETY: a live handle; `json_len` readable bytes at `json_text`.
        let serializer = &unsafe { borrow(serializer, "serializer") }?.serializer;
        let bytes_out = out(bytes_out, "bytes_out")?;
        let bytes_len_out = out(bytes_len_out, "bytes_len_out")?;
        let record = unsafe { json(json_text, json_len, "json") }?;
        let mut block = Block::new();
        serializer.encode_json_into(&record, block.vec())?;
        let (bytes, len) = block.into_raw();
        // SAFETY: both checked non-NULL.
        unsafe {
            *bytes_out = bytes;
            *bytes_len_out = len;
        }
        Ok(())
    })
}

/// As `eventbus_serializer_encode`, but writes the framed message into the
/// caller's `buffer` of `capacity` bytes, with no allocation to free: for
/// callers that encode many messages into one buffer of their own.
///
/// A message longer than `capacity` fails with
/// `EVENTBUS_RESULT_BUFFER_TOO_SMALL`, whose message gives the length
/// needed, and leaves `buffer` untouched; `eventbus_serializer_encode`
/// takes any length. `buffer` may be NULL only when `capacity` is 0. On
/// success the first `*bytes_len_out` bytes of `buffer` hold the message.
/// Threads: any, concurrently on one serializer (with separate buffers).
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_serializer_encode_to(
    serializer: *const eventbus_serializer,
    json_text: *const c_char,
    json_len: usize,
    buffer: *mut u8,
    capacity: usize,
    bytes_len_out: *mut usize,
) -> eventbus_result {
    guard(|| {
        // SAFETY: a live handle; `json_len` readable bytes at `json_text`.
        let serializer = &unsafe { borrow(serializer, "serializer") }?.serializer;
        let bytes_len_out = out(bytes_len_out, "bytes_len_out")?;
        if buffer.is_null() && capacity > 0 {
            return Err(Failure::null("buffer"));
        }
        let record = unsafe { json(json_text, json_len, "json") }?;
        let len = ENCODE_BUFFER.with_borrow_mut(|scratch| {
            scratch.clear();
            serializer.encode_json_into(&record, scratch)?;
            if scratch.len() > capacity {
                return Err(Failure::new(
                    eventbus_result::BufferTooSmall,
                    format!(
                        "the message needs {} bytes and the buffer holds {capacity}",
                        scratch.len()
                    ),
                ));
            }
            // SAFETY: `buffer` has room for `capacity` bytes (the caller's
            // contract), at least the message's; it cannot overlap the
            // library's own scratch.
            unsafe { std::ptr::copy_nonoverlapping(scratch.as_ptr(), buffer, scratch.len()) };
            Ok(scratch.len())
        })?;
        // SAFETY: checked non-NULL.
        unsafe { *bytes_len_out = len };
        Ok(())
    })
}

/// Decodes a framed message (`message_len` bytes) written with this
/// serializer's schema id into JSON text, rendered as the encoder reads it,
/// so that encoding it again gives the same bytes.
///
/// Fails with `EVENTBUS_RESULT_DECODE` for bytes that are not a
/// well-formed message, `EVENTBUS_RESULT_SCHEMA_MISMATCH` for a message
/// with another schema id. On success `*json_out` is a new NUL-terminated
/// string of `*json_len_out` bytes (the NUL not counted) that the caller
/// owns and frees with `eventbus_buffer_free`. `json_len_out` may be NULL.
/// Threads: any, concurrently on one serializer.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_serializer_decode(
    serializer: *const eventbus_serializer,
    message: *const u8,
    message_len: usize,
    json_out: *mut *mut c_char,
    json_len_out: *mut usize,
) -> eventbus_result {
    guard(|| {
        // SAFETY: a live handle; `message_len` readable bytes at `message`.
        let serializer = &unsafe { borrow(serializer, "serializer") }?.serializer;
        let json_out = out(json_out, "json_out")?;
        let message = unsafe { bytes(message, message_len, "message") }?;
        let record = serializer.decode(message)?;
        let text = serde_json::to_string(&record).map_err(|err| {
            Failure::new(
                eventbus_result::Internal,
                format!("cannot print the decoded record as JSON: {err}"),
            )
        })?;
        let (block, len) = Block::copy_of(text.as_bytes()).into_raw();
        // SAFETY: `json_out` checked non-NULL; `json_len_out` may be NULL.
        unsafe {
            *json_out = block.cast();
            if let Some(len_out) = json_len_out.as_mut() {
                *len_out = len;
            }
        }
        Ok(())
    })
}

/// Frees a serializer. NULL is ignored.
///
/// Ownership: takes back the handle; free each one once. Threads: any,
/// with no other call on this serializer running.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_serializer_free(serializer: *mut eventbus_serializer) {
    guard_or((), || {
        if !serializer.is_null() {
            // SAFETY: made by `into_handle` and freed once (documented).
            drop(unsafe { Box::from_raw(serializer) });
        }
    })
}
