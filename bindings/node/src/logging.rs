//! The core's `tracing` events, carried to the callback given to
//! `setLogger((level, target, message) => ...)`.
//!
//! Most events happen on librdkafka's threads, which may not call
//! JavaScript. Each event at or above the chosen level is formatted there
//! and queued through an N-API thread-safe function to the JavaScript
//! thread, which calls the logger. The queue never keeps Node from exiting,
//! and events below the level are never formatted.

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use napi::bindgen_prelude::*;
use napi::sys;
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Severities, lowest first; `OFF` is above them all.
const DEBUG: u8 = 0;
const INFO: u8 = 1;
const WARN: u8 = 2;
const ERROR: u8 = 3;
const OFF: u8 = u8::MAX;

/// The lowest severity forwarded.
static THRESHOLD: AtomicU8 = AtomicU8::new(OFF);

/// Numbers the queues, so that a queue's finalizer knows whether it is
/// still the current one.
static QUEUES_MADE: AtomicU64 = AtomicU64::new(0);

/// The logger's queue, while one is set.
static LOGGER: Mutex<Option<LoggerQueue>> = Mutex::new(None);

struct LoggerQueue {
    function: sys::napi_threadsafe_function,
    number: u64,
}

// SAFETY: thread-safe functions may be called and released from any thread.
unsafe impl Send for LoggerQueue {}

impl Drop for LoggerQueue {
    fn drop(&mut self) {
        // SAFETY: this queue's one release; callable from any thread.
        unsafe {
            sys::napi_release_threadsafe_function(
                self.function,
                sys::ThreadsafeFunctionReleaseMode::release,
            )
        };
    }
}

/// Level name, target (`eventbus::producer`, `librdkafka`, ...), message.
struct Record(&'static str, String, String);

fn severity(level: &Level) -> u8 {
    match *level {
        Level::ERROR => ERROR,
        Level::WARN => WARN,
        Level::INFO => INFO,
        _ => DEBUG,
    }
}

fn level_name(severity: u8) -> &'static str {
    match severity {
        ERROR => "error",
        WARN => "warn",
        INFO => "info",
        _ => "debug",
    }
}

/// Sends the core's logs to `logger`, from `level` up (`"error"`,
/// `"warn"`, `"info"` (the default) or `"debug"`); `setLogger(null)` stops
/// them. The logger is called on the JavaScript thread; what it throws is
/// ignored. Tokens, secrets and payloads are never logged.
#[napi(
    ts_args_type = "logger: ((level: 'error' | 'warn' | 'info' | 'debug', target: string, message: string) => void) | null, level?: 'error' | 'warn' | 'info' | 'debug'",
    catch_unwind
)]
pub fn set_logger(env: Env, logger: Option<Function<'_>>, level: Option<String>) -> Result<()> {
    let threshold = match level.as_deref().unwrap_or("info") {
        "error" => ERROR,
        "warn" => WARN,
        "info" => INFO,
        "debug" => DEBUG,
        other => {
            return Err(crate::errors::config(
                &env,
                format!("unknown log level {other:?}; use error, warn, info or debug"),
            ));
        }
    };
    let queue = match logger {
        Some(logger) => Some(make_queue(&env, &logger)?),
        None => None,
    };

    let enabled = queue.is_some();
    // The old queue, if any, is released after the lock is let go.
    let previous = std::mem::replace(
        &mut *LOGGER.lock().unwrap_or_else(PoisonError::into_inner),
        queue,
    );
    drop(previous);
    THRESHOLD.store(if enabled { threshold } else { OFF }, Ordering::Relaxed);
    Ok(())
}

fn make_queue(env: &Env, logger: &Function<'_>) -> Result<LoggerQueue> {
    let name = "eventbus log";
    let number = QUEUES_MADE.fetch_add(1, Ordering::Relaxed);
    let mut function = ptr::null_mut();
    // SAFETY: on the JavaScript thread, with a live function handle.
    let status = unsafe {
        let mut resource_name = ptr::null_mut();
        sys::napi_create_string_utf8(
            env.raw(),
            name.as_ptr().cast(),
            name.len() as isize,
            &mut resource_name,
        );
        sys::napi_create_threadsafe_function(
            env.raw(),
            logger.raw(),
            ptr::null_mut(),
            resource_name,
            0,
            1,
            number as usize as *mut c_void,
            Some(forget_logger),
            ptr::null_mut(),
            Some(call_logger),
            &mut function,
        )
    };
    if status != sys::Status::napi_ok {
        return Err(Error::from_reason("could not set the logger"));
    }
    // Logs alone never keep the process running.
    // SAFETY: on the JavaScript thread, with the function just made.
    unsafe { sys::napi_unref_threadsafe_function(env.raw(), function) };
    Ok(LoggerQueue { function, number })
}

/// Called by Node before it frees a queue: when one was released for a new
/// logger, nothing is left to do; when Node frees the current one (at
/// shutdown), later events are dropped rather than sent to it.
unsafe extern "C" fn forget_logger(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    let number = data as usize as u64;
    let mut logger = LOGGER.lock().unwrap_or_else(PoisonError::into_inner);
    if logger.as_ref().is_some_and(|queue| queue.number == number) {
        THRESHOLD.store(OFF, Ordering::Relaxed);
        // Node frees it; releasing it as well would touch freed memory.
        std::mem::forget(logger.take());
    }
}

/// Calls the logger with one record, on the JavaScript thread.
unsafe extern "C" fn call_logger(
    env: sys::napi_env,
    logger: sys::napi_value,
    _context: *mut c_void,
    data: *mut c_void,
) {
    // SAFETY: `data` came from `HostLogLayer::on_event`.
    let record = unsafe { Box::from_raw(data.cast::<Record>()) };
    if env.is_null() || logger.is_null() {
        return;
    }
    // SAFETY: on the JavaScript thread, inside the callback's handle scope.
    unsafe {
        let text = |s: &str| {
            let mut value = ptr::null_mut();
            sys::napi_create_string_utf8(env, s.as_ptr().cast(), s.len() as isize, &mut value);
            value
        };
        let args = [text(record.0), text(&record.1), text(&record.2)];
        let mut this = ptr::null_mut();
        sys::napi_get_undefined(env, &mut this);
        let mut result = ptr::null_mut();
        let status = sys::napi_call_function(env, this, logger, 3, args.as_ptr(), &mut result);
        if status != sys::Status::napi_ok {
            // A throwing logger must not become an uncaught exception.
            let mut exception = ptr::null_mut();
            sys::napi_get_and_clear_last_exception(env, &mut exception);
        }
    }
}

struct HostLogLayer;

impl<S: Subscriber> Layer<S> for HostLogLayer {
    fn register_callsite(&self, _metadata: &'static Metadata<'static>) -> Interest {
        // The threshold changes with setLogger, so no call site is enabled
        // or disabled for good.
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        severity(metadata.level()) >= THRESHOLD.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let line = eventbus::log_text::event_text(event);
        let record = Record(
            level_name(severity(event.metadata().level())),
            event.metadata().target().to_owned(),
            line,
        );
        let logger = LOGGER.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(queue) = logger.as_ref() else {
            return;
        };
        let data = Box::into_raw(Box::new(record)).cast::<c_void>();
        // SAFETY: the queue is alive while the lock is held; `data` is taken
        // back by `call_logger`, or here if it is never queued.
        let status = unsafe {
            sys::napi_call_threadsafe_function(
                queue.function,
                data,
                sys::ThreadsafeFunctionCallMode::nonblocking,
            )
        };
        if status != sys::Status::napi_ok {
            drop(unsafe { Box::from_raw(data.cast::<Record>()) });
        }
    }
}

/// Installs the layer as the process's subscriber, unless the host
/// process already has one.
pub fn install() {
    let subscriber = tracing_subscriber::registry().with(HostLogLayer);
    let _ = tracing::subscriber::set_global_default(subscriber);
}
