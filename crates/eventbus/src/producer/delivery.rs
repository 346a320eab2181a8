//! Delivery handles: what `Producer::produce` returns, resolved by
//! librdkafka's delivery report on the producer's polling thread.
//!
//! One handle serves every way of waiting: a blocking `wait` with a time
//! limit (plain threads, and bindings that release their interpreter lock
//! around it), `.await` (async Rust), and a completion callback (bindings
//! that hand the result to an event loop or a C callback).

use std::future::Future;
use std::pin::Pin;
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

type Callback = Box<dyn FnOnce(Result<DeliveryReport>) + Send>;

#[derive(Default)]
struct State {
    outcome: Option<Result<DeliveryReport>>,
    waker: Option<Waker>,
    callback: Option<Callback>,
}

/// Shared between a handle and the delivery report that completes it.
#[derive(Default)]
pub(crate) struct DeliverySlot {
    state: Mutex<State>,
    done: Condvar,
}

impl DeliverySlot {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the outcome and wakes whoever waits. Called exactly once per
    /// message, from the delivery report (or from a failed enqueue).
    pub(crate) fn complete(&self, outcome: Result<DeliveryReport>) {
        let mut state = self.lock();
        let waker = state.waker.take();
        let callback = state.callback.take();
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
        self.done.notify_all();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The pending outcome of one produced message.
#[must_use = "a delivery handle reports whether the message was written; wait for it or flush"]
pub struct DeliveryHandle {
    slot: Arc<DeliverySlot>,
}

impl std::fmt::Debug for DeliveryHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryHandle")
            .field("outcome", &self.slot.lock().outcome)
            .finish()
    }
}

impl DeliveryHandle {
    pub(crate) fn new(slot: Arc<DeliverySlot>) -> Self {
        DeliveryHandle { slot }
    }

    /// Blocks until the message is delivered or fails, or `timeout` passes
    /// (`None` waits as long as delivery takes, which librdkafka bounds by
    /// `message.timeout.ms`).
    pub fn wait(&self, timeout: Option<Duration>) -> Result<DeliveryReport> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut state = self.slot.lock();
        loop {
            if let Some(outcome) = &state.outcome {
                return outcome.clone();
            }
            state = match deadline {
                None => self
                    .slot
                    .done
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(Error::Timeout(format!(
                            "no delivery report within {:?}; the message is still queued and \
                             will be reported later, or call flush",
                            timeout.unwrap_or_default()
                        )));
                    }
                    self.slot
                        .done
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
    }

    /// The outcome if it is known already.
    pub fn try_result(&self) -> Option<Result<DeliveryReport>> {
        self.slot.lock().outcome.clone()
    }

    /// Calls `callback` with the outcome: at once if it is known, otherwise
    /// on the producer's polling thread when the report arrives. The
    /// callback must not block.
    pub fn on_complete(self, callback: impl FnOnce(Result<DeliveryReport>) + Send + 'static) {
        let mut state = self.slot.lock();
        match state.outcome.clone() {
            Some(outcome) => {
                drop(state);
                callback(outcome);
            }
            None => state.callback = Some(Box::new(callback)),
        }
    }
}

impl Future for DeliveryHandle {
    type Output = Result<DeliveryReport>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.slot.lock();
        match &state.outcome {
            Some(outcome) => Poll::Ready(outcome.clone()),
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

    fn report() -> DeliveryReport {
        DeliveryReport {
            topic: "t".into(),
            partition: 0,
            offset: 7,
            timestamp: None,
        }
    }

    #[test]
    fn wait_returns_the_outcome_from_another_thread() {
        let slot = Arc::new(DeliverySlot::default());
        let handle = DeliveryHandle::new(slot.clone());
        std::thread::spawn(move || slot.complete(Ok(report())));
        assert_eq!(handle.wait(Some(Duration::from_secs(5))).unwrap(), report());
    }

    #[test]
    fn wait_times_out_without_losing_the_later_outcome() {
        let slot = Arc::new(DeliverySlot::default());
        let handle = DeliveryHandle::new(slot.clone());
        let err = handle.wait(Some(Duration::from_millis(20))).unwrap_err();
        assert_eq!(err.kind().as_str(), "timeout");
        slot.complete(Ok(report()));
        assert_eq!(handle.try_result(), Some(Ok(report())));
    }

    #[test]
    fn callback_runs_once_whether_registered_before_or_after() {
        let (sender, received) = mpsc::channel();
        let slot = Arc::new(DeliverySlot::default());
        let before = sender.clone();
        DeliveryHandle::new(slot.clone()).on_complete(move |r| before.send(r).unwrap());
        slot.complete(Ok(report()));
        DeliveryHandle::new(slot).on_complete(move |r| sender.send(r).unwrap());
        assert_eq!(received.iter().take(2).count(), 2);
    }
}
