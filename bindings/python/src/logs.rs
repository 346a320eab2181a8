//! The core's `tracing` events, forwarded to Python's
//! `logging.getLogger("eventbus")`.
//!
//! Events happen on any thread, librdkafka's included, so the layer here
//! only formats the event and queues it for the dispatch thread, which
//! writes it to the logger with the GIL held. Debug events are forwarded
//! only while the `eventbus` logger is enabled for DEBUG (checked when a
//! producer or serializer is made, and after each forwarded record), so
//! that they cost nothing otherwise. The core never logs tokens, secrets
//! or payloads; nothing is added here.

use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

use crate::dispatch::{self, Job};
use crate::host;

/// Python's level numbers.
const DEBUG: u8 = 10;
const INFO: u8 = 20;
const WARNING: u8 = 30;
const ERROR: u8 = 40;

static FORWARD_DEBUG: AtomicBool = AtomicBool::new(false);

/// One formatted event on its way to Python.
pub struct Record {
    level: u8,
    target: String,
    message: String,
}

/// Installs the forwarding layer as the process's `tracing` subscriber,
/// unless the embedding program installed one of its own already.
pub fn install() {
    let subscriber = tracing_subscriber::registry().with(ForwardToPython);
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Re-reads whether the `eventbus` logger wants DEBUG records.
pub fn refresh_level(py: Python<'_>) {
    let wanted = host::get(py)
        .and_then(|host| host.logger.bind(py).call_method1("isEnabledFor", (DEBUG,)))
        .and_then(|enabled| enabled.is_truthy())
        .unwrap_or(false);
    FORWARD_DEBUG.store(wanted, Ordering::Relaxed);
}

/// Writes a record to the `eventbus` logger; runs on the dispatch thread.
pub fn emit(py: Python<'_>, record: Record) {
    let written = host::get(py).and_then(|host| {
        let extra = PyDict::new(py);
        extra.set_item("eventbus_target", &record.target)?;
        let keywords = PyDict::new(py);
        keywords.set_item("extra", extra)?;
        host.logger.bind(py).call_method(
            "log",
            (record.level, "%s", &record.message),
            Some(&keywords),
        )
    });
    if let Err(err) = written {
        // A failing handler must not stop the dispatch thread; Python's
        // own logging prints handler errors the same way.
        err.print(py);
    }
    refresh_level(py);
}

fn python_level(level: &Level) -> u8 {
    match *level {
        Level::ERROR => ERROR,
        Level::WARN => WARNING,
        Level::INFO => INFO,
        _ => DEBUG,
    }
}

struct ForwardToPython;

impl<S: Subscriber> Layer<S> for ForwardToPython {
    fn register_callsite(&self, _metadata: &'static Metadata<'static>) -> Interest {
        // Asked each time: whether DEBUG is wanted changes at run time.
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        *metadata.level() <= Level::INFO || FORWARD_DEBUG.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let metadata = event.metadata();
        if *metadata.level() == Level::TRACE {
            return;
        }
        let text = eventbus::log_text::event_text(event);
        dispatch::send(Job::Log(Record {
            level: python_level(metadata.level()),
            target: metadata.target().to_owned(),
            message: text,
        }));
    }
}
