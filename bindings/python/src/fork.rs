//! Which process a producer belongs to.
//!
//! A forked child inherits a producer's memory but not librdkafka's
//! threads, so the handle is dead there: calling into it, even to destroy
//! it, would wait for threads that do not exist. Every fork bumps a
//! generation number (`os.register_at_fork` calls [`after_fork_in_child`]);
//! a producer remembers the generation it was made in, refuses to work in
//! any other, and is leaked rather than destroyed there.

use std::sync::atomic::{AtomicU64, Ordering};

use pyo3::prelude::*;

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The current process's generation.
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// Registered with `os.register_at_fork(after_in_child=...)` by the package.
#[pyfunction]
pub fn after_fork_in_child() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
}
