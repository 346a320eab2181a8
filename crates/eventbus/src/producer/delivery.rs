//! Delivery handles: what `Producer::produce` returns, resolved by
//! librdkafka's delivery report on the producer's polling thread.
//!
//! One handle serves every way of waiting: a blocking `wait` with a time
//! limit (plain threads, and bindings that release their interpreter lock
//! around it), `.await` (async Rust), and a completion callback (bindings
//! that hand the result to an event loop or a C callback).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Where a delivered message was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryReport {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// The message timestamp in milliseconds since the epoch, when the broker reported one.
    pub timestamp: Option<i64>,
}

/// Called with the outcome on the polling thread; it owns the topic name.
type Callback = Box<dyn FnOnce(Result<Written>) + Send>;

/// Where the brokers wrote a message; the topic is kept by the slot, so
/// that a report costs no allocation until someone reads it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Written {
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
}

#[derive(Default)]
struct State {
    outcome: Option<Result<Written>>,
    waker: Option<Waker>,
    callback: Option<Callback>,
    /// Threads blocked in `wait`. Waking a condition variable costs a
    /// system call even when nobody waits, and most handles are never
    /// waited on, so it is only woken when this is non-zero.
    waiters: usize,
}

/// Shared between a handle and the delivery report that completes it. It
/// holds no topic: the delivery report runs on librdkafka's polling thread,
/// and touching a reference count shared with the producing thread there
/// costs more, per message, than anything else the report does.
#[derive(Default)]
pub(crate) struct DeliverySlot {
    state: Mutex<State>,
    done: Condvar,
}

fn report(topic: &str, outcome: &Result<Written>) -> Result<DeliveryReport> {
    outcome.clone().map(|written| DeliveryReport {
        topic: topic.to_string(),
        partition: written.partition,
        offset: written.offset,
        timestamp: written.timestamp,
    })
}

impl DeliverySlot {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the outcome and wakes whoever waits. Called exactly once per
    /// message, from the delivery report (or from a failed enqueue).
    pub(crate) fn complete(&self, outcome: Result<Written>) {
        let mut state = self.lock();
        let waker = state.waker.take();
        let callback = state.callback.take();
        let waiters = state.waiters;
        match callback {
            Some(callback) => {
                state.outcome = Some(outcome.clone());
                drop(state);
                callback(outcome);
            }
            None => {
                state.outcome = Some(outcome);
                drop(state);
            }
        }
        if waiters > 0 {
            self.done.notify_all();
        }
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Finished slots kept for reuse. Slots are made on the producing thread
/// and released on librdkafka's polling thread; freeing memory allocated by
/// another thread is slow enough in common allocators to cost a producer a
/// third of its throughput, so a slot whose handle is gone is recycled.
pub(crate) struct SlotPool {
    free: crossbeam_queue::ArrayQueue<Arc<DeliverySlot>>,
}

impl SlotPool {
    pub(crate) fn new(capacity: usize) -> Self {
        SlotPool {
            free: crossbeam_queue::ArrayQueue::new(capacity.max(1)),
        }
    }

    pub(crate) fn take(&self) -> Arc<DeliverySlot> {
        self.free.pop().unwrap_or_default()
    }

    /// Takes back the delivery report's reference to a completed slot. If
    /// no handle holds it any more, nobody can see it again: it is reset and
    /// kept, unless the pool is full.
    pub(crate) fn give_back(&self, mut slot: Arc<DeliverySlot>) {
        // Only the report's reference is left, so the slot is ours alone
        // and needs no lock to be emptied.
        if let Some(unique) = Arc::get_mut(&mut slot) {
            *unique
                .state
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner) = State::default();
            let _ = self.free.push(slot);
        }
    }
}

/// Messages handed to librdkafka whose outcome has not been handed over
/// yet, kept as two running totals on cache lines of their own: producing
/// threads add to one, the polling thread to the other. A single shared
/// count would move between the two threads' caches twice for every
/// message.
#[derive(Default)]
pub(crate) struct InFlight {
    queued: Padded,
    settled: Padded,
}

/// A counter alone on its cache line (two lines, since adjacent lines are
/// fetched together on common x86 processors).
#[derive(Default)]
#[repr(align(128))]
struct Padded(AtomicUsize);

impl InFlight {
    /// Counts a message about to be queued. Called before the send, so that
    /// a report arriving at once finds it counted.
    pub(crate) fn queue(&self) {
        self.queued.0.fetch_add(1, Ordering::Release);
    }

    /// Counts a message as settled: its outcome handed over (and any
    /// callback run), or its send refused.
    pub(crate) fn settle(&self) {
        self.settled.0.fetch_add(1, Ordering::Release);
    }

    /// Messages queued and not yet settled.
    pub(crate) fn count(&self) -> usize {
        // Settled first: every settled message was queued before, so the
        // later read of `queued` is at least as large.
        let settled = self.settled.0.load(Ordering::Acquire);
        self.queued
            .0
            .load(Ordering::Acquire)
            .saturating_sub(settled)
    }
}

/// The pending outcome of one produced message.
#[must_use = "a delivery handle reports whether the message was written; wait for it or flush"]
pub struct DeliveryHandle {
    topic: Arc<str>,
    slot: Arc<DeliverySlot>,
}

impl std::fmt::Debug for DeliveryHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryHandle")
            .field("topic", &self.topic)
            .field("outcome", &self.slot.lock().outcome)
            .finish()
    }
}

impl DeliveryHandle {
    pub(crate) fn new(topic: Arc<str>, slot: Arc<DeliverySlot>) -> Self {
        DeliveryHandle { topic, slot }
    }

    /// Blocks until the message is delivered or fails, or `timeout` passes
    /// (`None` waits as long as delivery takes, which librdkafka bounds by
    /// `message.timeout.ms`).
    pub fn wait(&self, timeout: Option<Duration>) -> Result<DeliveryReport> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut state = self.slot.lock();
        loop {
            if let Some(outcome) = &state.outcome {
                return report(&self.topic, outcome);
            }
            let left = match deadline {
                None => None,
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(Error::Timeout(format!(
                            "no delivery report within {:.1} s; the message is still queued \
                             and will be reported later, or call flush",
                            timeout.unwrap_or_default().as_secs_f64()
                        )));
                    }
                    Some(left)
                }
            };
            state.waiters += 1;
            state = match left {
                None => self
                    .slot
                    .done
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(left) => {
                    self.slot
                        .done
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
            state.waiters -= 1;
        }
    }

    /// The outcome if it is known already.
    pub fn try_result(&self) -> Option<Result<DeliveryReport>> {
        let state = self.slot.lock();
        state.outcome.as_ref().map(|o| report(&self.topic, o))
    }

    /// Calls `callback` with the outcome: at once if it is known, otherwise
    /// on the producer's polling thread when the report arrives. The
    /// callback must not block.
    pub fn on_complete(self, callback: impl FnOnce(Result<DeliveryReport>) + Send + 'static) {
        let mut state = self.slot.lock();
        match &state.outcome {
            Some(outcome) => {
                let report = report(&self.topic, outcome);
                drop(state);
                callback(report);
            }
            None => {
                let topic = self.topic.clone();
                state.callback = Some(Box::new(move |outcome| callback(report(&topic, &outcome))));
            }
        }
    }
}

impl Future for DeliveryHandle {
    type Output = Result<DeliveryReport>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.slot.lock();
        match &state.outcome {
            Some(outcome) => Poll::Ready(report(&self.topic, outcome)),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn written() -> Written {
        Written {
            partition: 0,
            offset: 7,
            timestamp: None,
        }
    }

    fn report() -> DeliveryReport {
        DeliveryReport {
            topic: "t".into(),
            partition: 0,
            offset: 7,
            timestamp: None,
        }
    }

    fn slot() -> Arc<DeliverySlot> {
        Arc::new(DeliverySlot::default())
    }

    fn handle(slot: &Arc<DeliverySlot>) -> DeliveryHandle {
        DeliveryHandle::new("t".into(), slot.clone())
    }

    #[test]
    fn wait_returns_the_outcome_from_another_thread() {
        let slot = slot();
        let handle = handle(&slot);
        std::thread::spawn(move || slot.complete(Ok(written())));
        assert_eq!(handle.wait(Some(Duration::from_secs(5))).unwrap(), report());
    }

    #[test]
    fn wait_times_out_without_losing_the_later_outcome() {
        let slot = slot();
        let handle = handle(&slot);
        let err = handle.wait(Some(Duration::from_millis(20))).unwrap_err();
        assert_eq!(err.kind().as_str(), "timeout");
        slot.complete(Ok(written()));
        assert_eq!(handle.try_result(), Some(Ok(report())));
    }

    #[test]
    fn callback_runs_once_whether_registered_before_or_after() {
        let (sender, received) = mpsc::channel();
        let slot = slot();
        let before = sender.clone();
        handle(&slot).on_complete(move |r| before.send(r).unwrap());
        slot.complete(Ok(written()));
        handle(&slot).on_complete(move |r| sender.send(r).unwrap());
        assert_eq!(received.iter().take(2).count(), 2);
    }

    #[test]
    fn only_slots_without_a_handle_are_recycled_and_they_come_back_empty() {
        let pool = SlotPool::new(4);
        let kept = pool.take();
        let held = handle(&kept);
        kept.complete(Ok(written()));
        pool.give_back(kept);
        assert_eq!(
            pool.free.len(),
            0,
            "a slot with a live handle is not reused"
        );
        assert_eq!(held.try_result(), Some(Ok(report())));

        let released = pool.take();
        drop(handle(&released));
        released.complete(Ok(written()));
        pool.give_back(released);
        assert_eq!(pool.free.len(), 1);
        let reused = pool.take();
        assert_eq!(handle(&reused).try_result(), None);
    }
}
