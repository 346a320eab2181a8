//! The hot path of `Serializer.prototype.encode`, as a plain N-API function.
//!
//! napi-rs wraps each `#[napi]` method in per-call bookkeeping (receiver
//! type checks, borrow scopes for async work) that costs more than encoding
//! a small record, and so do most N-API calls one could make per message
//! (checking an object's type tag costs more than the call itself). So
//! `index.js` installs `encode` on the class prototype, and it calls
//! `_encodeInto` here with three arguments:
//!
//! 1. the tape's `ArrayBuffer`, with the value to encode as `tape.js` wrote
//!    it (see [`crate::tape`]), and in its header the serializer's slot and
//!    generation in this thread's registry (see [`thread_state`]) and the
//!    pool offset;
//! 2. the tape's array of held values;
//! 3. the `ArrayBuffer` of a pool of output `Buffer`s.
//!
//! The message is written into the pool at the offset when it fits, its
//! length into the tape's header, and the call returns nothing, so that
//! JavaScript hands out a slice of the pool the way `Buffer.from` hands out
//! slices of Node's own. A message that does not fit comes back as a
//! `Buffer` of its own.

use std::ffi::CString;
use std::panic::{self, AssertUnwindSafe};
use std::ptr;

use napi::bindgen_prelude::*;
use napi::sys;

use crate::errors;
use crate::tape;
use crate::thread_state;

/// Adds `_encodeInto` to the addon's exports.
pub fn export(env: &Env, exports: &Object) -> Result<()> {
    const NAME: &str = "_encodeInto";
    let mut function = ptr::null_mut();
    // SAFETY: on the JavaScript thread, while the module loads.
    let status = unsafe {
        sys::napi_create_function(
            env.raw(),
            NAME.as_ptr().cast(),
            NAME.len() as isize,
            Some(encode_into),
            ptr::null_mut(),
            &mut function,
        )
    };
    if status != sys::Status::napi_ok {
        return Err(Error::from_reason("could not make _encodeInto"));
    }
    // SAFETY: a live function handle, made just above.
    let status = unsafe {
        sys::napi_set_named_property(env.raw(), exports.raw(), c"_encodeInto".as_ptr(), function)
    };
    if status != sys::Status::napi_ok {
        return Err(Error::from_reason("could not export _encodeInto"));
    }
    Ok(())
}

/// What a call throws: an `EventBusError`, a `TypeError` for misuse, or
/// nothing of ours when JavaScript code the call ran (a getter) threw first.
enum Thrown {
    Core(eventbus::Error),
    Misuse(&'static str),
    Internal(&'static str),
}

/// `_encodeInto(tape, values, pool)`.
unsafe extern "C" fn encode_into(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // SAFETY: called by Node on the JavaScript thread, with this call's info.
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| unsafe { encode_call(env, info) }));
    let thrown = match outcome {
        Ok(Ok(result)) => return result,
        Ok(Err(thrown)) => thrown,
        Err(_) => Thrown::Internal("eventbus: encode failed unexpectedly; this is a bug"),
    };
    // SAFETY: on the JavaScript thread, in this call's handle scope.
    unsafe {
        let mut pending = false;
        sys::napi_is_exception_pending(env, &mut pending);
        if !pending {
            match thrown {
                Thrown::Core(err) => {
                    sys::napi_throw(env, errors::to_js(env, &err));
                }
                Thrown::Misuse(message) => {
                    let text = CString::new(message).unwrap_or_default();
                    sys::napi_throw_type_error(env, ptr::null(), text.as_ptr());
                }
                Thrown::Internal(message) => {
                    let text = CString::new(message).unwrap_or_default();
                    sys::napi_throw_error(env, ptr::null(), text.as_ptr());
                }
            }
        }
    }
    ptr::null_mut()
}

/// # Safety
/// On the JavaScript thread, with the info of the current call.
unsafe fn encode_call(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> std::result::Result<sys::napi_value, Thrown> {
    const MISUSE: Thrown = Thrown::Misuse("_encodeInto takes a tape, its values and a pool");
    let mut argc = 3usize;
    let mut argv = [ptr::null_mut(); 3];
    // SAFETY: `argv` holds `argc` handles; missing ones come back undefined.
    let status = unsafe {
        sys::napi_get_cb_info(
            env,
            info,
            &mut argc,
            argv.as_mut_ptr(),
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    if status != sys::Status::napi_ok || argc < 3 {
        return Err(MISUSE);
    }
    let [tape_buffer, values, pool_buffer] = argv;

    // SAFETY (both): handles passed to this call, on its thread; no
    // JavaScript runs until it returns.
    let tape = unsafe { tape::array_buffer(env, tape_buffer) }.ok_or(MISUSE)?;
    let pool = unsafe { tape::array_buffer(env, pool_buffer) }.ok_or(MISUSE)?;
    let overlap = tape.as_ptr_range().contains(&pool.as_ptr())
        || pool.as_ptr_range().contains(&tape.as_ptr());
    if overlap {
        return Err(MISUSE);
    }
    let header = |at| tape::word(tape, at).ok_or(MISUSE);
    let start = header(tape::POOL_OFFSET)? as usize;
    let slot = header(tape::SERIALIZER_SLOT)?;
    let generation = header(tape::SERIALIZER_GENERATION)?;
    let room = pool.get_mut(start..).ok_or(MISUSE)?;

    let outcome = thread_state::with(|state| {
        let serializer = state.serializers.get(slot, generation)?;
        let encode = |datum: tape::TapeDatum<'_>, out: &mut Vec<u8>| {
            serializer.encode_into(datum, out).map_err(Thrown::Core)?;
            if out.len() <= room.len() {
                room[..out.len()].copy_from_slice(out);
                return Ok(Ok(out.len() as u32));
            }
            // SAFETY: on the JavaScript thread.
            unsafe { own_buffer(env, out) }.map(Err)
        };
        // SAFETY: with_tape's contract: the call's handles, no JavaScript
        // running.
        Some(unsafe { tape::with_tape(env, tape, values, &state.keys, &mut state.out, encode) })
    })
    .flatten()
    .ok_or(Thrown::Misuse("encode must be called on a Serializer"))?
    .map_err(|tape::Malformed| {
        Thrown::Misuse("_encodeInto was given a tape that tape.js did not write")
    })??;
    match outcome {
        Ok(written) => {
            tape[tape::WRITTEN..tape::WRITTEN + 4].copy_from_slice(&written.to_le_bytes());
            // Nothing to return: the length is in the header.
            Ok(ptr::null_mut())
        }
        Err(buffer) => Ok(buffer),
    }
}

/// A `Buffer` of its own holding `message`, for one too big for the pool.
///
/// # Safety
/// On the JavaScript thread.
unsafe fn own_buffer(
    env: sys::napi_env,
    message: &[u8],
) -> std::result::Result<sys::napi_value, Thrown> {
    let mut result = ptr::null_mut();
    let mut data = ptr::null_mut();
    // SAFETY: on the JavaScript thread; the Buffer gets its own copy.
    let status = unsafe {
        sys::napi_create_buffer_copy(
            env,
            message.len(),
            message.as_ptr().cast(),
            &mut data,
            &mut result,
        )
    };
    if status == sys::Status::napi_ok {
        Ok(result)
    } else {
        Err(Thrown::Internal(
            "eventbus: could not hand out the encoded message",
        ))
    }
}
