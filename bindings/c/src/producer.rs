//! `eventbus_producer`: the core producer behind a C handle. This file
//! converts topic bindings, JSON text and headers, hands each message's
//! outcome to a C delivery callback, and guards against use after `fork()`.
//!
//! Delivery is explicit, as in the core: `eventbus_producer_flush` and
//! `eventbus_producer_close` deliver or report what is queued, while
//! `eventbus_producer_free` on a producer with queued messages purges them.

use std::collections::HashMap;
use std::ffi::{CStr, CString, c_char, c_void};
use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::time::Duration;

use eventbus::avro::JsonText;
use eventbus::{DeliveryReport, Producer, TopicBinding};

use crate::boundary::{
    borrow, bytes, guard, guard_or, into_handle, json, optional_text, out, text,
};
use crate::config;
use crate::fork;
use crate::result::{Failure, c_text, eventbus_result};

/// Produces Avro-encoded events to topics bound to pinned schemas. Made by
/// `eventbus_producer_new`, freed by `eventbus_producer_free`.
pub struct eventbus_producer {
    producer: ManuallyDrop<Producer>,
    /// Each bound topic's name as the delivery reports hand it to C.
    topic_names: HashMap<String, Arc<CStr>>,
    generation: u64,
    pid: u32,
}

/// A topic and the schemas its values (and keys) are written with.
#[repr(C)]
pub struct eventbus_topic_binding {
    /// The topic name, NUL-terminated.
    pub topic: *const c_char,
    /// The registry id of the value schema.
    pub value_schema_id: u32,
    /// The registry id of the key schema, or 0 for a topic whose messages
    /// have no key (registries number schemas from 1).
    pub key_schema_id: u32,
    /// A local `.avsc` copy of the value schema, checked against the
    /// registry at start-up and used if the registry is unreachable; or NULL.
    pub value_schema_file: *const c_char,
    /// The same for the key schema; or NULL.
    pub key_schema_file: *const c_char,
}

/// One message header: a NUL-terminated UTF-8 name and `value_len` bytes.
#[repr(C)]
pub struct eventbus_header {
    pub name: *const c_char,
    /// May be NULL when `value_len` is 0.
    pub value: *const u8,
    pub value_len: usize,
}

/// The outcome of one message, as a delivery callback receives it.
#[repr(C)]
pub struct eventbus_delivery_report {
    /// `EVENTBUS_RESULT_OK` if the brokers acknowledged the message;
    /// otherwise why not (usually `EVENTBUS_RESULT_DELIVERY`, or
    /// `EVENTBUS_RESULT_AUTH` when the brokers refused the credentials).
    pub result: eventbus_result,
    /// The topic, NUL-terminated.
    pub topic: *const c_char,
    /// Where the message was written; -1 when `result` is not OK.
    pub partition: i32,
    pub offset: i64,
    /// The message timestamp in milliseconds since the epoch, or -1 if the
    /// broker reported none or the message failed.
    pub timestamp_ms: i64,
    /// Why the message failed, NUL-terminated; NULL when `result` is OK.
    pub error_message: *const c_char,
    /// Whether producing the same message again may succeed.
    pub retriable: bool,
}

/// Receives the outcome of one message. The report and its strings are
/// borrowed for the duration of the call only.
///
/// Called once per queued message, on librdkafka's delivery thread (or on
/// the thread calling `eventbus_producer_produce`, before it returns, if
/// the outcome is known by then). It must not block, and must not call
/// `eventbus_producer_flush`, `_close` or `_free` of the same producer.
pub type eventbus_delivery_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, report: *const eventbus_delivery_report)>;

/// A callback's userdata, carried to the delivery thread.
struct Userdata(*mut c_void);

// SAFETY: the caller of `eventbus_producer_produce` agrees that the callback
// is called with this userdata on another thread.
unsafe impl Send for Userdata {}

impl eventbus_producer {
    /// The core producer, or `EVENTBUS_RESULT_CLOSED` in a forked child.
    fn live(&self) -> Result<&Producer, Failure> {
        if self.generation == fork::generation() {
            return Ok(&self.producer);
        }
        Err(eventbus::Error::Closed(format!(
            "this producer was created in process {} before fork(); its connections belong to \
             that process and cannot be used in process {}. Create producers after fork, in \
             each child",
            self.pid,
            std::process::id()
        ))
        .into())
    }
}

impl Drop for eventbus_producer {
    fn drop(&mut self) {
        if self.generation == fork::generation() {
            // SAFETY: taken once, here, and never used again.
            drop(unsafe { ManuallyDrop::take(&mut self.producer) });
        }
        // In a forked child the client is leaked: destroying it would wait
        // for librdkafka threads that stayed in the parent.
    }
}

/// Makes a producer for the topics in `topics` (`topics_len` bindings),
/// with the settings of `config`. Every bound schema is resolved now, from
/// the registry or the local files, so a wrong schema id fails here rather
/// than at the first message; with `SASL_SSL` this also waits (up to
/// `startup_timeout_ms`, default 10 s) to learn whether the brokers accept
/// the credentials.
///
/// Fails with `EVENTBUS_RESULT_CONFIG` for missing or contradicting
/// settings, the registry's codes for schemas that cannot be resolved, or
/// `EVENTBUS_RESULT_AUTH` for refused credentials. On success
/// `*producer_out` is a new handle that the caller owns, closes with
/// `eventbus_producer_close` and frees with `eventbus_producer_free`. The
/// library copies what it needs of `config` and `topics`. Threads: any.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_producer_new(
    config: *const config::eventbus_config,
    topics: *const eventbus_topic_binding,
    topics_len: usize,
    producer_out: *mut *mut eventbus_producer,
) -> eventbus_result {
    guard(|| {
        let producer_out = out(producer_out, "producer_out")?;
        // SAFETY: a live configuration handle; `topics_len` bindings at `topics`.
        let config = unsafe { config::read(config) }?;
        let topics = if topics_len == 0 {
            &[][..]
        } else if topics.is_null() {
            return Err(Failure::null("topics"));
        } else {
            unsafe { std::slice::from_raw_parts(topics, topics_len) }
        };
        fork::watch();
        let mut builder = config.producer_builder()?;
        let mut topic_names = HashMap::new();
        for binding in topics {
            let binding = read_binding(binding)?;
            topic_names.insert(binding.topic().to_owned(), c_text(binding.topic()).into());
            builder = builder.topic(binding);
        }
        let producer = eventbus_producer {
            producer: ManuallyDrop::new(builder.build()?),
            topic_names,
            generation: fork::generation(),
            pid: std::process::id(),
        };
        // SAFETY: checked non-NULL.
        unsafe { *producer_out = into_handle(producer) };
        Ok(())
    })
}

fn read_binding(binding: &eventbus_topic_binding) -> Result<TopicBinding, Failure> {
    // SAFETY: the strings of a binding are NUL-terminated or NULL (documented).
    let topic = unsafe { text(binding.topic, "topics[].topic") }?;
    let mut core = TopicBinding::new(topic, binding.value_schema_id);
    if binding.key_schema_id != 0 {
        core = core.key_schema_id(binding.key_schema_id);
    }
    if let Some(file) = unsafe { optional_text(binding.value_schema_file, "value_schema_file") }? {
        core = core.value_schema_file(file);
    }
    if let Some(file) = unsafe { optional_text(binding.key_schema_file, "key_schema_file") }? {
        core = core.key_schema_file(file);
    }
    Ok(core)
}

/// Validates and encodes the JSON value (and key, if `key_json` is not
/// NULL) with the topic's pinned schemas, then queues the message with its
/// `headers_len` headers. JSON is given as text of the stated length, no
/// NUL needed. Nothing is queued if either record is invalid
/// (`EVENTBUS_RESULT_INVALID_RECORD`, with the field path), and the
/// producer stays usable. While the local queue is full this waits up to
/// `enqueue_timeout_ms` (default 5 s), then fails with
/// `EVENTBUS_RESULT_QUEUE_FULL`.
///
/// On success, `on_delivery` (if not NULL) is called exactly once with
/// `userdata` and the outcome; see `eventbus_delivery_callback` for where.
/// On failure it is never called. The library copies the topic, JSON and
/// headers before returning; it keeps `userdata` without owning it.
/// Threads: any, concurrently on one producer.
#[allow(clippy::too_many_arguments)]
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_producer_produce(
    producer: *const eventbus_producer,
    topic: *const c_char,
    key_json: *const c_char,
    key_json_len: usize,
    value_json: *const c_char,
    value_json_len: usize,
    headers: *const eventbus_header,
    headers_len: usize,
    on_delivery: eventbus_delivery_callback,
    userdata: *mut c_void,
) -> eventbus_result {
    guard(|| {
        // SAFETY: a live handle, NUL-terminated topic, JSON of the given
        // lengths and `headers_len` headers (documented).
        let handle = unsafe { borrow(producer, "producer") }?;
        let producer = handle.live()?;
        let topic = unsafe { text(topic, "topic") }?;
        let value = unsafe { json(value_json, value_json_len, "value_json") }?;
        let key = if key_json.is_null() {
            None
        } else {
            Some(unsafe { json(key_json, key_json_len, "key_json") }?)
        };
        let headers = unsafe { read_headers(headers, headers_len) }?;
        let delivery = producer.produce(
            topic,
            key.as_ref().map(JsonText::datum),
            value.datum(),
            &headers,
        )?;
        if let Some(callback) = on_delivery {
            let topic_name = handle
                .topic_names
                .get(topic)
                .cloned()
                .unwrap_or_else(|| c_text(topic).into());
            let userdata = Userdata(userdata);
            delivery.on_complete(move |outcome| {
                let userdata = userdata;
                report_to(callback, userdata.0, &topic_name, outcome)
            });
        }
        Ok(())
    })
}

/// # Safety
/// A non-NULL `headers` points to `len` headers whose names are
/// NUL-terminated and whose values have the stated lengths.
unsafe fn read_headers<'a>(
    headers: *const eventbus_header,
    len: usize,
) -> Result<Vec<(&'a str, &'a [u8])>, Failure> {
    if len == 0 {
        return Ok(Vec::new());
    }
    if headers.is_null() {
        return Err(Failure::null("headers"));
    }
    // SAFETY: the caller's contract.
    let headers = unsafe { std::slice::from_raw_parts(headers, len) };
    headers
        .iter()
        .map(|header| {
            // SAFETY: the caller's contract.
            let name = unsafe { text(header.name, "headers[].name") }?;
            let value = unsafe { bytes(header.value, header.value_len, "headers[].value") }?;
            Ok((name, value))
        })
        .collect()
}

/// Calls a C delivery callback with the outcome; runs on the delivery thread.
fn report_to(
    callback: unsafe extern "C" fn(*mut c_void, *const eventbus_delivery_report),
    userdata: *mut c_void,
    topic: &CStr,
    outcome: eventbus::Result<DeliveryReport>,
) {
    let mut message: Option<CString> = None;
    let report = match &outcome {
        Ok(written) => eventbus_delivery_report {
            result: eventbus_result::Ok,
            topic: topic.as_ptr(),
            partition: written.partition,
            offset: written.offset,
            timestamp_ms: written.timestamp.unwrap_or(-1),
            error_message: std::ptr::null(),
            retriable: false,
        },
        Err(err) => {
            let failure = Failure::from(err);
            let text = message.insert(c_text(&failure.message));
            eventbus_delivery_report {
                result: failure.code,
                topic: topic.as_ptr(),
                partition: -1,
                offset: -1,
                timestamp_ms: -1,
                error_message: text.as_ptr(),
                retriable: failure.retriable,
            }
        }
    };
    // SAFETY: the callback the caller registered with its userdata; the
    // report outlives the call.
    unsafe { callback(userdata, &report) };
}

/// Waits up to `timeout_ms` milliseconds until every queued message is
/// delivered or has failed (their callbacks have run). Fails with
/// `EVENTBUS_RESULT_TIMEOUT` if messages are still queued then; they stay
/// queued and are reported later.
///
/// Blocks the calling thread. Threads: any, concurrently with produce, but
/// not a delivery callback: the message being reported counts as queued
/// until its callback returns, so the wait would last the whole timeout.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_producer_flush(
    producer: *const eventbus_producer,
    timeout_ms: u32,
) -> eventbus_result {
    guard(|| {
        // SAFETY: a live handle.
        let producer = unsafe { borrow(producer, "producer") }?.live()?;
        producer.flush(Duration::from_millis(timeout_ms.into()))?;
        Ok(())
    })
}

/// Stops accepting messages (later produce calls fail with
/// `EVENTBUS_RESULT_CLOSED`) and delivers what is queued, waiting up to
/// `timeout_ms` milliseconds. Messages still undelivered then are purged
/// and reported failed to their callbacks, and this fails with
/// `EVENTBUS_RESULT_TIMEOUT` saying how many. Calling it again is harmless.
///
/// Blocks the calling thread. Threads: any but a delivery callback's (see
/// `eventbus_producer_flush`).
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_producer_close(
    producer: *const eventbus_producer,
    timeout_ms: u32,
) -> eventbus_result {
    guard(|| {
        // SAFETY: a live handle.
        let producer = unsafe { borrow(producer, "producer") }?.live()?;
        producer.close(Duration::from_millis(timeout_ms.into()))?;
        Ok(())
    })
}

/// Messages queued or in flight whose outcome is not known yet; 0 for a
/// NULL producer or one inherited through `fork()`. Threads: any.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_producer_in_flight(producer: *const eventbus_producer) -> usize {
    guard_or(0, || {
        // SAFETY: a live handle or NULL.
        unsafe { producer.as_ref() }
            .and_then(|handle| handle.live().ok())
            .map_or(0, Producer::in_flight)
    })
}

/// Frees a producer. NULL is ignored. Close it first: messages still
/// queued are purged, not sent (and an error is logged with how many);
/// their callbacks report the purge. In a child made by `fork()` the
/// parent's producer is only forgotten, never destroyed.
///
/// Ownership: takes back the handle; free each one once. Threads: any, with
/// no other call on this producer running, and never from a delivery
/// callback.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_producer_free(producer: *mut eventbus_producer) {
    guard_or((), || {
        if !producer.is_null() {
            // SAFETY: made by `into_handle` and freed once (documented).
            drop(unsafe { Box::from_raw(producer) });
        }
    })
}
