//! The hot path of `Serializer.prototype.encode`, as a plain N-API function.
//!
//! napi-rs wraps each `#[napi]` method in per-call bookkeeping (receiver
//! type checks, borrow scopes for async work) that costs more than encoding
//! a small record. Encoding needs none of it: it is synchronous, and takes
//! only values that live for the call. So `index.js` installs `encode` on
//! the class prototype, and it calls `_encodeInto` here with:
//!
//! 1. the serializer's handle (an external made by `Serializer._handle`),
//! 2. the value to encode, as `tape.js` writes it: its slots, how many are
//!    used, its text and its array of held values (see [`crate::tape`]),
//! 3. a `Buffer` pool and the offset of its free room.
//!
//! The message is written into the pool when it fits, and the function
//! returns its length, so that JavaScript hands out a slice of the pool the
//! way `Buffer.from` hands out slices of Node's own. A message that does not
//! fit comes back as a `Buffer` of its own.

use std::ffi::{CString, c_void};
use std::panic::{self, AssertUnwindSafe};
use std::ptr;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::sys;

use crate::errors;
use crate::tape;

/// Marks the externals `handle` makes, so that `_encodeInto` never reads
/// another external (napi-rs's, another addon's) as a serializer.
const HANDLE_TAG: sys::napi_type_tag = sys::napi_type_tag {
    lower: 0x6576_656e_7462_7573,
    upper: 0x7365_7269_616c_697a,
};

/// A new external holding `serializer`, for `_encodeInto`.
pub fn handle<'env>(
    env: &'env Env,
    serializer: &Arc<eventbus::Serializer>,
) -> Result<Unknown<'env>> {
    let boxed = Box::into_raw(Box::new(Arc::clone(serializer)));
    let mut external = ptr::null_mut();
    // SAFETY: on the JavaScript thread; the finalizer frees the box exactly
    // once, when the external is collected.
    let status = unsafe {
        sys::napi_create_external(
            env.raw(),
            boxed.cast(),
            Some(free_handle),
            ptr::null_mut(),
            &mut external,
        )
    };
    if status != sys::Status::napi_ok {
        // SAFETY: Node took no ownership, so the box is still ours.
        drop(unsafe { Box::from_raw(boxed) });
        return Err(Error::from_reason("could not make a serializer handle"));
    }
    // SAFETY: a live external, tagged once, just after it was made.
    if unsafe { sys::napi_type_tag_object(env.raw(), external, &HANDLE_TAG) }
        != sys::Status::napi_ok
    {
        // The external frees the box when it is collected.
        return Err(Error::from_reason("could not tag a serializer handle"));
    }
    // SAFETY: a handle made on this thread, in this call.
    Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), external) })
}

unsafe extern "C" fn free_handle(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the box `handle` leaked, finalized once.
    drop(unsafe { Box::from_raw(data.cast::<Arc<eventbus::Serializer>>()) });
}

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

/// `_encodeInto(handle, slots, used, text, values, pool, offset)`.
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
    let mut argc = 7usize;
    let mut argv = [ptr::null_mut(); 7];
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
    if status != sys::Status::napi_ok || argc < 7 {
        return Err(Thrown::Misuse(
            "_encodeInto takes a handle, a tape, a pool and an offset",
        ));
    }
    let [handle, slots, used, text, values, pool, offset] = argv;

    let mut data = ptr::null_mut();
    let mut tagged = false;
    // SAFETY: both fail for anything but an object or external.
    let ours = unsafe {
        sys::napi_check_object_type_tag(env, handle, &HANDLE_TAG, &mut tagged)
            == sys::Status::napi_ok
            && tagged
            && sys::napi_get_value_external(env, handle, &mut data) == sys::Status::napi_ok
    };
    if !ours || data.is_null() {
        return Err(Thrown::Misuse("encode must be called on a Serializer"));
    }
    // SAFETY: an external tagged by `handle`, which holds a boxed Arc, alive
    // while JavaScript holds the external, which it does for this call.
    let serializer = unsafe { &*data.cast::<Arc<eventbus::Serializer>>() };

    let (mut pool_data, mut pool_len) = (ptr::null_mut(), 0usize);
    let mut start = 0u32;
    // SAFETY: out-parameters written on success.
    let pool_ok = unsafe {
        sys::napi_get_buffer_info(env, pool, &mut pool_data, &mut pool_len) == sys::Status::napi_ok
            && sys::napi_get_value_uint32(env, offset, &mut start) == sys::Status::napi_ok
    };
    let start = start as usize;
    if !pool_ok || start > pool_len {
        return Err(Thrown::Misuse(
            "_encodeInto needs a Buffer pool and an offset inside it",
        ));
    }

    let mut used_slots = 0u32;
    // SAFETY: fails for anything but a number.
    if unsafe { sys::napi_get_value_uint32(env, used, &mut used_slots) } != sys::Status::napi_ok {
        return Err(Thrown::Misuse("_encodeInto needs the number of slots used"));
    }

    let encode = |datum: tape::TapeDatum<'_>, out: &mut Vec<u8>| {
        serializer.encode_into(datum, out).map_err(Thrown::Core)?;
        // SAFETY: `pool_data` holds `pool_len` bytes, `start` at most, and
        // no JavaScript runs before this call returns.
        unsafe {
            hand_out(
                env,
                out,
                pool_data.cast::<u8>().add(start),
                pool_len - start,
            )
        }
    };
    // SAFETY: handles passed to this call, on its thread; no JavaScript runs
    // while the tape is read and the message encoded.
    let parts = tape::Parts {
        slots,
        used: used_slots as usize,
        text,
        values,
    };
    let outcome = unsafe { tape::with_tape(env, parts, encode) };
    outcome.unwrap_or(Err(Thrown::Misuse(
        "_encodeInto was given a tape that tape.js did not write",
    )))
}

/// The message's length once copied to `room_data`, if it fits its `room`
/// bytes, or else a `Buffer` of its own.
///
/// # Safety
/// `room_data` points to `room` writable bytes of a live `Buffer`, and no
/// JavaScript runs before the caller returns.
unsafe fn hand_out(
    env: sys::napi_env,
    message: &[u8],
    room_data: *mut u8,
    room: usize,
) -> std::result::Result<sys::napi_value, Thrown> {
    let mut result = ptr::null_mut();
    if message.len() <= room {
        // SAFETY: the room holds the message, and the pool's memory cannot
        // overlap the scratch Vec's.
        unsafe { ptr::copy_nonoverlapping(message.as_ptr(), room_data, message.len()) };
        // SAFETY: on the JavaScript thread.
        if unsafe { sys::napi_create_uint32(env, message.len() as u32, &mut result) }
            == sys::Status::napi_ok
        {
            return Ok(result);
        }
    } else {
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
            return Ok(result);
        }
    }
    Err(Thrown::Internal(
        "eventbus: could not hand out the encoded message",
    ))
}
