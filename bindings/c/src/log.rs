//! The core's `tracing` events, handed to a C callback.
//!
//! Events happen on any thread: the caller's, librdkafka's, the registry
//! client's, often while the core holds a lock. A C callback that logs
//! through its own locks, or calls back into this library, could deadlock
//! there. So events are formatted into a bounded queue, and one thread
//! owned by this module (`eventbus-log`) takes them out and calls the
//! callback, one at a time, holding no lock of the library. Events more
//! detailed than the level asked for are never formatted.

use std::collections::VecDeque;
use std::ffi::{CString, c_char, c_void};
use std::sync::atomic::{AtomicPtr, AtomicU8, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, Once, PoisonError};
use std::thread::{JoinHandle, ThreadId};

use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

use crate::boundary::guard;
use crate::result::{Failure, c_text, eventbus_result};

/// How much a log record says. Values are stable.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum eventbus_log_level {
    /// Nothing is forwarded (only as the `max_level` of `eventbus_log_set_callback`).
    Off = 0,
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
}

/// Receives one log record: `target` names where it comes from
/// (`eventbus::producer`, `librdkafka`, ...), `message` is one line of text
/// with its fields (`name=value`). Records never contain tokens, secrets
/// or payloads.
///
/// Both strings are borrowed for the duration of the call only. Called on
/// the library's `eventbus-log` thread, never on the thread that logged.
pub type eventbus_log_callback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        level: eventbus_log_level,
        target: *const c_char,
        message: *const c_char,
    ),
>;

/// Records kept while the callback is behind; the oldest are dropped first.
const QUEUE_CAPACITY: usize = 10_000;

/// The most detailed level forwarded now, as an `eventbus_log_level`.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(eventbus_log_level::Off as u8);

/// The forwarder of this process, made on first use and never freed: events
/// on other threads may be reading it at any moment. After a fork the
/// child starts again from NULL (its parent's lock may be held by a thread
/// that the child does not have).
static FORWARDER: AtomicPtr<Forwarder> = AtomicPtr::new(std::ptr::null_mut());

static SUBSCRIBER: Once = Once::new();

struct Record {
    level: eventbus_log_level,
    target: CString,
    message: CString,
}

/// The C callback and its userdata.
#[derive(Clone, Copy)]
struct Sink {
    callback: unsafe extern "C" fn(*mut c_void, eventbus_log_level, *const c_char, *const c_char),
    userdata: *mut c_void,
}

// SAFETY: the caller of `eventbus_log_set_callback` agrees that the
// callback is called with `userdata` on the library's log thread.
unsafe impl Send for Sink {}

#[derive(Default)]
struct State {
    records: VecDeque<Record>,
    dropped: u64,
    sink: Option<Sink>,
    thread: Option<(JoinHandle<()>, ThreadId)>,
    /// Bumped whenever the log thread is let go; a thread whose epoch is
    /// past ends at once, without delivering anything more.
    epoch: u64,
    /// The thread ends once the queue is empty.
    finishing: bool,
}

#[derive(Default)]
struct Forwarder {
    state: Mutex<State>,
    ready: Condvar,
}

impl Forwarder {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn current() -> Option<&'static Forwarder> {
        // SAFETY: a non-NULL pointer was leaked by `get_or_make` and is never freed.
        unsafe { FORWARDER.load(Ordering::Acquire).as_ref() }
    }

    fn get_or_make() -> &'static Forwarder {
        if let Some(forwarder) = Forwarder::current() {
            return forwarder;
        }
        let made = Box::into_raw(Box::default());
        match FORWARDER.compare_exchange(
            std::ptr::null_mut(),
            made,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            // SAFETY: just leaked, never freed.
            Ok(_) => unsafe { &*made },
            Err(existing) => {
                // SAFETY: `made` was never shared; `existing` is leaked forever.
                drop(unsafe { Box::from_raw(made) });
                unsafe { &*existing }
            }
        }
    }

    fn push(&self, record: Record) {
        let mut state = self.lock();
        if state.sink.is_none() {
            return;
        }
        if state.records.len() >= QUEUE_CAPACITY {
            state.records.pop_front();
            state.dropped += 1;
        }
        state.records.push_back(record);
        drop(state);
        self.ready.notify_one();
    }

    /// The log thread of `epoch`: delivers records until told to finish,
    /// then delivers what is left and ends.
    fn deliver(&self, epoch: u64) {
        let mut state = self.lock();
        loop {
            if state.epoch != epoch {
                return;
            }
            let record = if state.dropped > 0 {
                let dropped = std::mem::take(&mut state.dropped);
                Some(Record {
                    level: eventbus_log_level::Warn,
                    target: c_text("eventbus"),
                    message: c_text(&format!(
                        "{dropped} log records were dropped because the log callback could \
                         not keep up"
                    )),
                })
            } else {
                state.records.pop_front()
            };
            match (record, state.sink) {
                (Some(record), Some(sink)) => {
                    drop(state);
                    // SAFETY: a callback and userdata the caller registered together.
                    unsafe {
                        (sink.callback)(
                            sink.userdata,
                            record.level,
                            record.target.as_ptr(),
                            record.message.as_ptr(),
                        )
                    };
                    state = self.lock();
                }
                (Some(_), None) => {}
                (None, _) if state.finishing => return,
                (None, _) => {
                    state = self
                        .ready
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner)
                }
            }
        }
    }

    /// Stops the log thread after it delivers what is queued, and waits for
    /// it, so that the old callback is never called once this returns.
    fn stop(&self) {
        let mut state = self.lock();
        let Some((thread, id)) = state.thread.take() else {
            state.sink = None;
            return;
        };
        if id == std::thread::current().id() {
            // Called from inside the callback: the thread cannot wait for
            // itself, so it is let go and ends when the callback returns.
            state.epoch += 1;
            state.sink = None;
            state.records.clear();
            return;
        }
        state.finishing = true;
        drop(state);
        self.ready.notify_all();
        let _ = thread.join();
        let mut state = self.lock();
        state.finishing = false;
        state.epoch += 1;
        state.sink = None;
        state.records.clear();
    }

    fn start(&'static self, sink: Sink) -> Result<(), Failure> {
        let mut state = self.lock();
        let epoch = state.epoch;
        let thread = std::thread::Builder::new()
            .name("eventbus-log".into())
            .spawn(move || self.deliver(epoch))
            .map_err(|err| {
                Failure::new(
                    eventbus_result::Internal,
                    format!("cannot start the log thread: {err}"),
                )
            })?;
        let id = thread.thread().id();
        state.sink = Some(sink);
        state.thread = Some((thread, id));
        Ok(())
    }
}

/// In a forked child: forget the parent's forwarder. Only atomics.
pub fn after_fork_in_child() {
    MAX_LEVEL.store(eventbus_log_level::Off as u8, Ordering::Release);
    FORWARDER.store(std::ptr::null_mut(), Ordering::Release);
}

fn level_of(level: &Level) -> eventbus_log_level {
    match *level {
        Level::ERROR => eventbus_log_level::Error,
        Level::WARN => eventbus_log_level::Warn,
        Level::INFO => eventbus_log_level::Info,
        _ => eventbus_log_level::Debug,
    }
}

struct ForwardToCallback;

impl<S: Subscriber> Layer<S> for ForwardToCallback {
    fn register_callsite(&self, _metadata: &'static Metadata<'static>) -> Interest {
        // Asked each time: the level can change at run time.
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        *metadata.level() != Level::TRACE
            && level_of(metadata.level()) as u8 <= MAX_LEVEL.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let Some(forwarder) = Forwarder::current() else {
            return;
        };
        let text = eventbus::log_text::event_text(event);
        forwarder.push(Record {
            level: level_of(event.metadata().level()),
            target: c_text(event.metadata().target()),
            message: c_text(&text),
        });
    }
}

/// Forwards the library's log records to `callback`, with `userdata` as its
/// first argument, for records at `max_level` (an `eventbus_log_level`) and
/// more severe. Nothing is logged until this is called.
///
/// The callback runs on the library's own `eventbus-log` thread, one record
/// at a time, while the library holds no lock: it may call any function of
/// this library. Records wait in a queue of 10,000; if the callback falls
/// further behind, the oldest are dropped and a warning says how many.
///
/// Replacing the callback, or passing NULL to stop forwarding, first
/// delivers the records already queued to the old callback, then waits for
/// the log thread to finish it: once this returns, the old callback is no
/// longer running (unless this was called from inside it) and is never
/// called again, so its userdata may be freed. Call it with NULL before the
/// program ends to stop the thread. In a child made by `fork()` nothing is
/// forwarded until this is called again there.
///
/// Ownership: the library keeps `userdata` without owning it. Threads: any,
/// one call at a time.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_log_set_callback(
    callback: eventbus_log_callback,
    userdata: *mut c_void,
    max_level: u32,
) -> eventbus_result {
    guard(|| {
        let level = match max_level {
            0..=4 => max_level as u8,
            _ => {
                return Err(Failure::config(format!(
                    "max_level must be an eventbus_log_level from 0 (off) to 4 (debug), not \
                     {max_level}"
                )));
            }
        };
        crate::fork::watch();
        SUBSCRIBER.call_once(|| {
            // Refused only if the program installed a subscriber of its own,
            // which then receives the events instead.
            let _ = tracing::subscriber::set_global_default(
                tracing_subscriber::registry().with(ForwardToCallback),
            );
        });
        let forwarder = Forwarder::get_or_make();
        MAX_LEVEL.store(eventbus_log_level::Off as u8, Ordering::Release);
        forwarder.stop();
        let Some(callback) = callback else {
            return Ok(());
        };
        if level == eventbus_log_level::Off as u8 {
            return Ok(());
        }
        forwarder.start(Sink { callback, userdata })?;
        MAX_LEVEL.store(level, Ordering::Release);
        tracing::callsite::rebuild_interest_cache();
        Ok(())
    })
}
