//! Which process a producer belongs to.
//!
//! A child made by `fork()` inherits a producer's memory but not
//! librdkafka's threads, so the producer is dead there: calling into it,
//! even to destroy it, would wait for threads that do not exist. A
//! `pthread_atfork` handler bumps a generation number in every child; a
//! producer remembers the generation it was made in and refuses to work in
//! any other (and is leaked rather than destroyed there). Reading an atomic
//! is cheaper than asking the kernel for the process id on every call.

use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

static GENERATION: AtomicU64 = AtomicU64::new(0);
static REGISTERED: Once = Once::new();

/// Observers of a fork that must reset state in the child, beyond the
/// generation: only async-signal-safe work belongs here.
static CHILD_HOOKS: &[fn()] = &[crate::log::after_fork_in_child];

extern "C" fn after_fork_in_child() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
    for hook in CHILD_HOOKS {
        hook();
    }
}

/// Installs the fork handler once per process.
pub fn watch() {
    REGISTERED.call_once(|| {
        // SAFETY: registers a handler that only touches atomics. A failure
        // (ENOMEM) leaves forked children undetected, as before the call.
        unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) };
    });
}

/// The current process's generation.
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}
