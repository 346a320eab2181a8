//! Settling promises from librdkafka's threads.
//!
//! Delivery reports arrive on librdkafka's threads, and a producer finishes
//! starting on a thread of its own; neither may touch JavaScript values. Each
//! producer has one N-API thread-safe function, and every outcome is queued
//! through it to the JavaScript thread, where the promise is resolved or
//! rejected. One queue per producer, not one per message, keeps a burst of
//! deliveries cheap.
//!
//! While any promise of the producer is pending, the queue holds the event
//! loop open, so that `await producer.produce(...)` at the top of a script
//! gets its answer, and the producer object is held too, so that it is not
//! collected with deliveries outstanding; when none is pending, neither
//! keeps Node from exiting.

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use eventbus::DeliveryReport;
use napi::bindgen_prelude::ToNapiValue;
use napi::sys;

use crate::errors;

/// A promise's resolving end. Made and used on the JavaScript thread only;
/// it crosses threads untouched, inside a [`Settlement`].
pub struct Deferred(sys::napi_deferred);

// SAFETY: the handle is only dereferenced by N-API on the JavaScript thread,
// in `settle`; other threads just carry it.
unsafe impl Send for Deferred {}

/// An outcome to hand to a waiting promise.
pub enum Settlement {
    Delivered(Deferred, eventbus::Result<DeliveryReport>),
    /// The end of start-up, or of a flush or close done off the thread.
    Done(Deferred, eventbus::Result<()>),
}

/// What the thread-safe function's callback needs, shared with it.
struct Pending {
    /// Promises made and not yet settled.
    count: AtomicUsize,
    /// The thread-safe function itself, set once it is made, so that the
    /// callback can let go of the event loop when the count reaches zero.
    function: AtomicPtr<sys::napi_threadsafe_function__>,
    /// A reference to the producer object, strong while promises are
    /// pending; made with the first promise.
    holder: AtomicPtr<sys::napi_ref__>,
    gate: Arc<Gate>,
}

struct Queue {
    function: sys::napi_threadsafe_function,
    pending: Arc<Pending>,
}

// SAFETY: N-API thread-safe functions are made to be called from any thread;
// ref and unref, which are not, happen only in `promise` and `settle`, on the
// JavaScript thread.
unsafe impl Send for Queue {}
unsafe impl Sync for Queue {}

impl Drop for Queue {
    fn drop(&mut self) {
        // Outcomes still queued are settled first; N-API then frees it.
        // SAFETY: callable from any thread while the environment lives; this
        // is the queue's one release.
        self.pending.gate.pass(|| unsafe {
            sys::napi_release_threadsafe_function(
                self.function,
                sys::ThreadsafeFunctionReleaseMode::release,
            )
        });
    }
}

/// Whether a thread-safe function may still be called.
///
/// When Node shuts down it frees every thread-safe function, while
/// librdkafka's threads and a producer's worker may still be running and
/// holding one. The gate closes when the producer object is finalized
/// ([`Settler::detach`]), which happens before Node frees the function at
/// shutdown and, otherwise, only once no promise is pending; closing waits
/// for a call in progress to end, and no thread calls the function after.
pub struct Gate {
    open: Mutex<bool>,
}

impl Gate {
    pub fn new() -> Arc<Gate> {
        Arc::new(Gate {
            open: Mutex::new(true),
        })
    }

    /// Runs `call` if the function is still there, holding the gate open
    /// until it returns.
    pub fn pass<R>(&self, call: impl FnOnce() -> R) -> Option<R> {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.then(call)
    }

    pub fn close(&self) {
        *self.open.lock().unwrap_or_else(PoisonError::into_inner) = false;
    }
}

/// The sending end of a producer's queue; cheap to clone into callbacks.
#[derive(Clone)]
pub struct Settler(Arc<Queue>);

impl Settler {
    /// Makes the queue. On the JavaScript thread.
    pub fn new(env: sys::napi_env) -> napi::Result<Self> {
        let pending = Arc::new(Pending {
            count: AtomicUsize::new(0),
            function: AtomicPtr::new(ptr::null_mut()),
            holder: AtomicPtr::new(ptr::null_mut()),
            gate: Gate::new(),
        });
        let context = Arc::into_raw(pending.clone()) as *mut c_void;
        let name = "eventbus delivery";
        let mut function = ptr::null_mut();
        // SAFETY: on the JavaScript thread. `context` is freed by `finalize`
        // when N-API destroys the function.
        let status = unsafe {
            let mut resource_name = ptr::null_mut();
            sys::napi_create_string_utf8(
                env,
                name.as_ptr().cast(),
                name.len() as isize,
                &mut resource_name,
            );
            sys::napi_create_threadsafe_function(
                env,
                ptr::null_mut(),
                ptr::null_mut(),
                resource_name,
                0,
                1,
                context,
                Some(finalize),
                context,
                Some(settle),
                &mut function,
            )
        };
        if status != sys::Status::napi_ok {
            // SAFETY: not handed to N-API after all.
            drop(unsafe { Arc::from_raw(context as *const Pending) });
            return Err(napi::Error::from_reason(
                "could not make the delivery queue",
            ));
        }
        pending.function.store(function, Ordering::Release);
        // Nothing is pending yet: do not hold the event loop open.
        // SAFETY: on the JavaScript thread, with the function just made.
        unsafe { sys::napi_unref_threadsafe_function(env, function) };
        Ok(Settler(Arc::new(Queue { function, pending })))
    }

    /// Makes a promise that a later [`Settler::send`] settles, holding
    /// `owner` (the producer object) until it is. On the JavaScript thread.
    pub fn promise(
        &self,
        env: sys::napi_env,
        owner: sys::napi_value,
    ) -> napi::Result<(Deferred, sys::napi_value)> {
        let mut deferred = ptr::null_mut();
        let mut promise = ptr::null_mut();
        // SAFETY: on the JavaScript thread.
        let status = unsafe { sys::napi_create_promise(env, &mut deferred, &mut promise) };
        if status != sys::Status::napi_ok {
            return Err(napi::Error::from_reason("could not make a promise"));
        }
        let pending = &self.0.pending;
        if pending.count.fetch_add(1, Ordering::AcqRel) == 0 {
            // SAFETY: on the JavaScript thread, with live handles.
            unsafe {
                sys::napi_ref_threadsafe_function(env, self.0.function);
                let holder = pending.holder.load(Ordering::Acquire);
                if holder.is_null() {
                    let mut made = ptr::null_mut();
                    sys::napi_create_reference(env, owner, 1, &mut made);
                    pending.holder.store(made, Ordering::Release);
                } else {
                    sys::napi_reference_ref(env, holder, ptr::null_mut());
                }
            }
        }
        Ok((Deferred(deferred), promise))
    }

    /// Stops every use of the queue, for the producer object's finalizer.
    ///
    /// Limitation: the thread-safe function is then left to Node rather than
    /// released, since at shutdown Node may already have freed it; a
    /// producer collected without shutting Node down leaks that one small
    /// object until N-API can tell the two cases apart.
    pub fn detach(&self) {
        self.0.pending.gate.close();
    }

    /// Queues `settlement` for the JavaScript thread. From any thread; never
    /// blocks. If Node is shutting down, the promise is left unsettled.
    pub fn send(&self, settlement: Settlement) {
        let data = Box::into_raw(Box::new(settlement)).cast::<c_void>();
        // SAFETY: the function lives while the gate is open; `data` is
        // taken back by `settle`, or here if it is never queued.
        let status = self.0.pending.gate.pass(|| unsafe {
            sys::napi_call_threadsafe_function(
                self.0.function,
                data,
                sys::ThreadsafeFunctionCallMode::nonblocking,
            )
        });
        if status != Some(sys::Status::napi_ok) {
            drop(unsafe { Box::from_raw(data.cast::<Settlement>()) });
        }
    }
}

/// Runs on the JavaScript thread for each queued settlement.
unsafe extern "C" fn settle(
    env: sys::napi_env,
    _callback: sys::napi_value,
    context: *mut c_void,
    data: *mut c_void,
) {
    // SAFETY: `data` came from `Settler::send`; `context` is the `Pending`
    // kept alive until `finalize`.
    let settlement = unsafe { Box::from_raw(data.cast::<Settlement>()) };
    if env.is_null() {
        // The environment is going away: nothing left to settle.
        return;
    }
    let pending = unsafe { &*(context as *const Pending) };
    let (deferred, outcome) = match *settlement {
        Settlement::Delivered(deferred, outcome) => (
            deferred,
            outcome.map(|report| delivery_report(env, &report)),
        ),
        Settlement::Done(deferred, outcome) => (deferred, outcome.map(|()| undefined(env))),
    };
    // SAFETY: on the JavaScript thread, inside the scope N-API opened for
    // this callback; each deferred is settled exactly once.
    unsafe {
        match outcome {
            Ok(value) => sys::napi_resolve_deferred(env, deferred.0, value),
            Err(err) => sys::napi_reject_deferred(env, deferred.0, errors::to_js(env, &err)),
        };
    }
    if pending.count.fetch_sub(1, Ordering::AcqRel) == 1 {
        // SAFETY: on the JavaScript thread; the function outlives its calls,
        // and the holder was made with the first promise.
        unsafe {
            sys::napi_unref_threadsafe_function(env, pending.function.load(Ordering::Acquire));
            let holder = pending.holder.load(Ordering::Acquire);
            if !holder.is_null() {
                sys::napi_reference_unref(env, holder, ptr::null_mut());
            }
        }
    }
}

unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: the `Pending` handed over in `Settler::new`, freed once.
    let pending = unsafe { Arc::from_raw(data as *const Pending) };
    pending.gate.close();
}

/// The report as the `DeliveryReport` object the typings promise.
fn delivery_report(env: sys::napi_env, report: &DeliveryReport) -> sys::napi_value {
    let object = crate::producer::DeliveryReport {
        topic: report.topic.clone(),
        partition: report.partition,
        offset: report.offset,
        timestamp: report.timestamp,
    };
    // SAFETY: on the JavaScript thread, inside a handle scope.
    unsafe { ToNapiValue::to_napi_value(env, object) }.unwrap_or_else(|_| undefined(env))
}

fn undefined(env: sys::napi_env) -> sys::napi_value {
    let mut value = ptr::null_mut();
    // SAFETY: on the JavaScript thread.
    unsafe { sys::napi_get_undefined(env, &mut value) };
    value
}
