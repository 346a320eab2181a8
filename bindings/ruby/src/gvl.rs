//! Blocking work with the GVL released, so other Ruby threads run meanwhile.
//!
//! The work gets a flag that Ruby's unblock function sets when the thread is
//! interrupted (`Thread#kill`, `Thread#raise`, Ctrl-C); long waits check it
//! between short slices and give up early. Once the GVL is back, pending
//! interrupts are processed, which raises the interrupting exception.

use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};

use magnus::{Error, Ruby};

use crate::errors;

struct Call<F, R> {
    work: Option<F>,
    result: Option<std::thread::Result<R>>,
    cancelled: AtomicBool,
}

unsafe extern "C" fn run<F, R>(data: *mut c_void) -> *mut c_void
where
    F: FnOnce(&AtomicBool) -> R,
{
    // SAFETY: `data` is the `Call` on the stack of `without_gvl`, which
    // outlives this call.
    let call = unsafe { &mut *(data as *mut Call<F, R>) };
    if let Some(work) = call.work.take() {
        let cancelled = &call.cancelled;
        call.result = Some(catch_unwind(AssertUnwindSafe(|| work(cancelled))));
    }
    std::ptr::null_mut()
}

unsafe extern "C" fn unblock(flag: *mut c_void) {
    // SAFETY: `flag` points at the `cancelled` field of the live `Call`.
    let flag = unsafe { &*(flag as *const AtomicBool) };
    flag.store(true, Ordering::SeqCst);
}

/// Runs `work` without the GVL. `work` must not touch any Ruby object.
pub fn without_gvl<F, R>(ruby: &Ruby, work: F) -> Result<R, Error>
where
    F: FnOnce(&AtomicBool) -> R,
{
    let mut call: Call<F, R> = Call {
        work: Some(work),
        result: None,
        cancelled: AtomicBool::new(false),
    };
    let flag = &call.cancelled as *const AtomicBool as *mut c_void;
    let data = &mut call as *mut Call<F, R> as *mut c_void;
    // SAFETY: both pointers stay valid for the whole call, which returns only
    // after `run` has finished.
    unsafe {
        rb_sys::rb_thread_call_without_gvl(Some(run::<F, R>), data, Some(unblock), flag);
    }
    let interrupted = call.cancelled.load(Ordering::SeqCst);
    let result = match call.result.take() {
        Some(Ok(result)) => result,
        Some(Err(_panic)) => {
            return Err(errors::generic(
                ruby,
                "internal error in the eventbus extension while blocking",
            ));
        }
        // Ruby had an interrupt pending and did not start the work.
        None => {
            ruby.thread_check_ints()?;
            return Err(errors::generic(ruby, "interrupted before the call started"));
        }
    };
    if interrupted {
        ruby.thread_check_ints()?;
    }
    Ok(result)
}
