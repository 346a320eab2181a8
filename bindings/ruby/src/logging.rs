//! The core's `tracing` events, carried to the Ruby `Logger` set with
//! `EventBus.logger=`.
//!
//! Most events happen on librdkafka's threads, which are not Ruby threads
//! and may not call Ruby. So events are formatted into a bounded queue here,
//! and a Ruby thread (`lib/eventbus/logging.rb`) takes them out and hands
//! them to the logger. Events below the logger's level are never formatted.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use magnus::{Error, RModule, Ruby, function};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

use crate::gvl;

/// Records kept while the Ruby thread is behind; older ones are dropped
/// first and counted.
const QUEUE_CAPACITY: usize = 10_000;

/// `Logger::Severity` numbers.
const DEBUG: u8 = 0;
const INFO: u8 = 1;
const WARN: u8 = 2;
const ERROR: u8 = 3;
/// Above every severity: nothing is forwarded.
const OFF: u8 = u8::MAX;

/// The lowest severity forwarded, the logger's level.
static THRESHOLD: AtomicU8 = AtomicU8::new(OFF);
/// Records dropped because the queue was full.
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Severity, target (`eventbus::producer`, `librdkafka`, ...) and message.
type Record = (u8, String, String);

struct Queue {
    records: Mutex<VecDeque<Record>>,
    ready: Condvar,
}

static QUEUE: Queue = Queue {
    records: Mutex::new(VecDeque::new()),
    ready: Condvar::new(),
};

fn severity(level: &Level) -> u8 {
    match *level {
        Level::ERROR => ERROR,
        Level::WARN => WARN,
        Level::INFO => INFO,
        _ => DEBUG,
    }
}

struct HostLogLayer;

impl<S: Subscriber> Layer<S> for HostLogLayer {
    fn register_callsite(&self, _metadata: &'static Metadata<'static>) -> Interest {
        // The threshold changes with the Ruby logger's level, so no call
        // site is enabled or disabled for good.
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        severity(metadata.level()) >= THRESHOLD.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let line = eventbus::log_text::event_text(event);
        let record = (
            severity(event.metadata().level()),
            event.metadata().target().to_owned(),
            line,
        );
        let mut records = QUEUE.records.lock().unwrap_or_else(PoisonError::into_inner);
        if records.len() >= QUEUE_CAPACITY {
            records.pop_front();
            DROPPED.fetch_add(1, Ordering::Relaxed);
        }
        records.push_back(record);
        QUEUE.ready.notify_one();
    }
}

/// Installs the layer as the process's subscriber, unless the host already
/// installed one.
pub fn install() {
    let subscriber = tracing_subscriber::registry().with(HostLogLayer);
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// `EventBus.native_log_threshold = severity` (`nil`: forward nothing).
fn set_threshold(threshold: Option<u8>) {
    THRESHOLD.store(threshold.unwrap_or(OFF), Ordering::Relaxed);
}

/// Waits up to `timeout` seconds for records, then returns every queued one
/// as `[severity, target, message]`, oldest first, with a warning first if
/// some were dropped.
fn next_records(ruby: &Ruby, timeout: f64) -> Result<Vec<Record>, Error> {
    let timeout = Duration::try_from_secs_f64(timeout).unwrap_or_default();
    let mut records = gvl::without_gvl(ruby, |cancelled| {
        let deadline = Instant::now() + timeout;
        let mut queue = QUEUE.records.lock().unwrap_or_else(PoisonError::into_inner);
        while queue.is_empty() && !cancelled.load(Ordering::SeqCst) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            // Short slices: the unblock function cannot wake this condvar.
            queue = QUEUE
                .ready
                .wait_timeout(queue, left.min(Duration::from_millis(100)))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        queue.drain(..).collect::<Vec<_>>()
    })?;
    let dropped = DROPPED.swap(0, Ordering::Relaxed);
    if dropped > 0 {
        records.insert(
            0,
            (
                WARN,
                "eventbus".to_owned(),
                format!("{dropped} log records were dropped while the logger fell behind"),
            ),
        );
    }
    Ok(records)
}

pub fn define(module: RModule) -> Result<(), Error> {
    module.define_module_function("native_log_threshold=", function!(set_threshold, 1))?;
    module.define_module_function("native_next_log_records", function!(next_records, 1))?;
    Ok(())
}
