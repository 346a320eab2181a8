//! The one thread that hands work from librdkafka's threads to Python.
//!
//! librdkafka's callbacks (delivery reports, logs) run on its own threads.
//! Taking the GIL there could deadlock: a Python thread holding the GIL may
//! be waiting inside librdkafka for a lock that callback thread holds. So
//! callbacks only queue a [`Job`] here, without the GIL, and this thread
//! takes the GIL to run them: completing asyncio futures and writing log
//! records to the `eventbus` logger.
//!
//! The thread is made on first use in each process: after `fork()` the
//! child's first job starts a new one. At interpreter exit the package's
//! hook stops it ([`shut_down`]) before the interpreter is finalized: a
//! thread that tried to take the GIL after that would crash the process.

use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use eventbus::DeliveryReport;
use pyo3::prelude::*;

use crate::{errors, fork, host, logs, producer};

/// Work for the Python side.
pub enum Job {
    /// Completes an asyncio future on its own event loop.
    Settle {
        event_loop: Py<PyAny>,
        future: Py<PyAny>,
        outcome: eventbus::Result<DeliveryReport>,
    },
    Log(logs::Record),
    /// Ends the thread; it answers once it will no longer touch Python.
    Stop(Sender<()>),
}

/// How long [`shut_down`] waits for the thread to finish what it is doing.
const SHUT_DOWN_TIMEOUT: Duration = Duration::from_secs(2);

/// Set at interpreter exit: from then on jobs are dropped, not run.
static STOPPED: AtomicBool = AtomicBool::new(false);

struct Dispatcher {
    generation: u64,
    jobs: Sender<Job>,
}

/// The current process's dispatcher. Dispatchers of a parent process stay
/// leaked in a child: their thread is gone, and freeing them could touch a
/// lock that thread held at the fork.
static CURRENT: AtomicPtr<Dispatcher> = AtomicPtr::new(std::ptr::null_mut());

/// Queues `job` for the dispatch thread. Never blocks and never takes the GIL.
pub fn send(job: Job) {
    if STOPPED.load(Ordering::Acquire) {
        return;
    }
    let _ = current().jobs.send(job);
}

/// Runs what is queued, then stops the thread for good; called by the exit
/// hook with the GIL held, which is released while the thread finishes.
#[pyfunction]
#[pyo3(name = "_shut_down_dispatch")]
pub fn shut_down(py: Python<'_>) {
    let (answer, answered) = channel();
    send(Job::Stop(answer));
    STOPPED.store(true, Ordering::Release);
    py.detach(move || {
        let _ = answered.recv_timeout(SHUT_DOWN_TIMEOUT);
    });
}

fn current() -> &'static Dispatcher {
    let generation = fork::generation();
    let existing = CURRENT.load(Ordering::Acquire);
    // SAFETY: a dispatcher, once installed, is never freed.
    if let Some(dispatcher) = unsafe { existing.as_ref() }
        && dispatcher.generation == generation
    {
        return dispatcher;
    }
    let (jobs, queue) = channel();
    let made = Box::into_raw(Box::new(Dispatcher { generation, jobs }));
    match CURRENT.compare_exchange(existing, made, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => {
            let spawned = std::thread::Builder::new()
                .name("eventbus-dispatch".into())
                .spawn(move || run(queue));
            if let Err(err) = spawned {
                eprintln!("eventbus: cannot start the thread that forwards results: {err}");
            }
            // SAFETY: just installed, never freed.
            unsafe { &*made }
        }
        Err(installed) => {
            // Another thread installed one first; ours was never shared.
            // SAFETY: `made` came from Box::into_raw above and nobody else saw it.
            drop(unsafe { Box::from_raw(made) });
            // SAFETY: as above, installed dispatchers are never freed.
            unsafe { &*installed }
        }
    }
}

fn run(queue: Receiver<Job>) {
    // Blocks without the GIL; then runs everything that has arrived under
    // one acquisition of it.
    while let Ok(first) = queue.recv() {
        let mut stop = None;
        let attached = Python::try_attach(|py| {
            let _ = errors::guard(py, || {
                let mut next = Some(first);
                while let Some(job) = next.take() {
                    match job {
                        Job::Stop(answer) => {
                            stop = Some(answer);
                            break;
                        }
                        job => run_job(py, job),
                    }
                    next = queue.try_recv().ok();
                }
                Ok(())
            });
        });
        if let Some(answer) = stop {
            let _ = answer.send(());
            return;
        }
        if attached.is_none() {
            // The interpreter is shutting down: nobody is left to tell.
            return;
        }
    }
}

fn run_job(py: Python<'_>, job: Job) {
    match job {
        Job::Settle {
            event_loop,
            future,
            outcome,
        } => settle(py, event_loop, future, outcome),
        Job::Log(record) => logs::emit(py, record),
        Job::Stop(_) => {}
    }
}

fn settle(
    py: Python<'_>,
    event_loop: Py<PyAny>,
    future: Py<PyAny>,
    outcome: eventbus::Result<DeliveryReport>,
) {
    let (result, error) = match outcome {
        Ok(report) => match Py::new(py, producer::PyDeliveryReport::from(report)) {
            Ok(report) => (report.into_any(), py.None()),
            Err(err) => (py.None(), err.into_value(py).into_any()),
        },
        Err(err) => (py.None(), errors::to_py(py, &err).into_value(py).into_any()),
    };
    let scheduled = host::get(py).and_then(|host| {
        event_loop.bind(py).call_method1(
            "call_soon_threadsafe",
            (host.settle.bind(py), future, result, error),
        )
    });
    // A loop closed before the report arrived has nobody awaiting it.
    if let Err(err) = scheduled {
        tracing::debug!(error = %err, "delivery report for a closed event loop dropped");
    }
}
