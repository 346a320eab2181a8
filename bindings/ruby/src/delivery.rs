//! `EventBus::DeliveryHandle`: the pending outcome of one produced message.
//! `wait` blocks without the GVL, in short slices so that `Thread#raise`,
//! `Thread#kill` and Ctrl-C still reach a waiting thread. The Ruby side
//! (`lib/eventbus/delivery.rb`) turns the native result into an
//! `EventBus::DeliveryReport`.

use std::time::{Duration, Instant};

use eventbus::{DeliveryHandle, DeliveryReport};
use magnus::{Error, RModule, Ruby, method, prelude::*};

use crate::errors::{self, guard};
use crate::gvl;
use crate::producer::duration;

/// How long one GVL-free wait lasts before checking for a Ruby interrupt.
const WAIT_SLICE: Duration = Duration::from_millis(100);

/// What `native_wait` hands to Ruby: topic, partition, offset, and the
/// broker's timestamp in milliseconds when it gave one.
type ReportParts = (String, i32, i64, Option<i64>);

#[magnus::wrap(class = "EventBus::DeliveryHandle", free_immediately, size)]
pub struct RbDeliveryHandle(DeliveryHandle);

impl RbDeliveryHandle {
    pub fn new(handle: DeliveryHandle) -> Self {
        RbDeliveryHandle(handle)
    }

    /// Waits up to `timeout` seconds (`nil`: as long as delivery takes).
    fn wait(ruby: &Ruby, rb_self: &Self, timeout: Option<f64>) -> Result<ReportParts, Error> {
        guard(ruby, || {
            if let Some(outcome) = rb_self.0.try_result() {
                return outcome.map(parts).map_err(|err| errors::raise(ruby, err));
            }
            let timeout = timeout
                .map(|seconds| duration(ruby, "timeout", seconds))
                .transpose()?;
            let handle = &rb_self.0;
            let outcome = gvl::without_gvl(ruby, |cancelled| {
                let deadline = timeout.map(|t| Instant::now() + t);
                loop {
                    let slice = match deadline {
                        Some(deadline) => deadline
                            .saturating_duration_since(Instant::now())
                            .min(WAIT_SLICE),
                        None => WAIT_SLICE,
                    };
                    match handle.wait(Some(slice)) {
                        Err(err)
                            if err.kind() == eventbus::ErrorKind::Timeout
                                && !slice.is_zero()
                                && !cancelled.load(std::sync::atomic::Ordering::SeqCst) => {}
                        Err(err) if err.kind() == eventbus::ErrorKind::Timeout => {
                            // Reworded: the slice is not what the caller asked for.
                            return Err(eventbus::Error::Timeout(format!(
                                "no delivery report within {:.1} s; the message is still \
                                 queued and will be reported later, or call flush",
                                timeout.unwrap_or_default().as_secs_f64()
                            )));
                        }
                        other => return other,
                    }
                }
            })?;
            outcome.map(parts).map_err(|err| errors::raise(ruby, err))
        })
    }

    /// Whether the outcome is known (delivered or failed).
    fn is_done(&self) -> bool {
        self.0.try_result().is_some()
    }
}

fn parts(report: DeliveryReport) -> ReportParts {
    (
        report.topic,
        report.partition,
        report.offset,
        report.timestamp,
    )
}

pub fn define(ruby: &Ruby, module: RModule) -> Result<(), Error> {
    let class = module.define_class("DeliveryHandle", ruby.class_object())?;
    // Handles come from Producer#produce only.
    class.undef_default_alloc_func();
    class.define_method("native_wait", method!(RbDeliveryHandle::wait, 1))?;
    class.define_method("done?", method!(RbDeliveryHandle::is_done, 0))?;
    Ok(())
}
