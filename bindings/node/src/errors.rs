//! The one place a core error becomes a JavaScript `EventBusError`.
//!
//! The class is defined in JavaScript (`errors.js`, so that it extends
//! `Error` with a proper stack) and handed to the addon once, when the
//! package loads. Every error the core returns is thrown or rejected as an
//! instance of it, with `code` (the core's stable kind name), `fieldPath`
//! (for invalid records) and `retriable` (for delivery failures).

use std::cell::Cell;
use std::ptr;

use napi::bindgen_prelude::*;
use napi::sys;

thread_local! {
    /// The `EventBusError` constructor, for this thread's JavaScript
    /// environment (the main thread's, or a worker's).
    static ERROR_CLASS: Cell<sys::napi_ref> = const { Cell::new(ptr::null_mut()) };
}

/// Hands the addon the `EventBusError` class; `index.js` calls it first.
#[napi(js_name = "_setErrorClass", skip_typescript, catch_unwind)]
pub fn set_error_class(env: Env, class: Function<'_>) -> Result<()> {
    let mut reference = ptr::null_mut();
    // SAFETY: a live function handle on the JavaScript thread; the reference
    // is kept for the life of the environment.
    let status = unsafe { sys::napi_create_reference(env.raw(), class.raw(), 1, &mut reference) };
    if status != sys::Status::napi_ok {
        return Err(Error::from_reason("could not keep the EventBusError class"));
    }
    ERROR_CLASS.with(|cell| cell.set(reference));
    Ok(())
}

/// `err` as a new `EventBusError`, or as a plain `Error` with the same
/// `code` if the class was never handed over.
pub fn to_js(env: sys::napi_env, err: &eventbus::Error) -> sys::napi_value {
    let message = err.to_string();
    let code = err.kind().as_str();
    let field_path = err.field_path();
    let retriable = err.is_retriable();
    // SAFETY: on the JavaScript thread of `env` (every caller is), inside a
    // handle scope; each handle is made before it is used.
    unsafe {
        let text = |s: &str| {
            let mut value = ptr::null_mut();
            sys::napi_create_string_utf8(env, s.as_ptr().cast(), s.len() as isize, &mut value);
            value
        };
        let mut path = ptr::null_mut();
        match field_path {
            Some(p) => path = text(p),
            None => {
                sys::napi_get_null(env, &mut path);
            }
        }
        let mut flag = ptr::null_mut();
        sys::napi_get_boolean(env, retriable, &mut flag);
        let args = [text(&message), text(code), path, flag];

        let class = ERROR_CLASS.with(Cell::get);
        let mut constructor = ptr::null_mut();
        if !class.is_null()
            && sys::napi_get_reference_value(env, class, &mut constructor) == sys::Status::napi_ok
            && !constructor.is_null()
        {
            let mut instance = ptr::null_mut();
            let status =
                sys::napi_new_instance(env, constructor, args.len(), args.as_ptr(), &mut instance);
            if status == sys::Status::napi_ok {
                return instance;
            }
        }
        let mut plain = ptr::null_mut();
        sys::napi_create_error(env, args[1], args[0], &mut plain);
        plain
    }
}

/// `err` as the error a `#[napi]` function returns, so that napi-rs throws
/// the `EventBusError` itself.
pub fn throw(env: &Env, err: eventbus::Error) -> Error {
    let value = to_js(env.raw(), &err);
    // SAFETY: a handle just made on this thread.
    Error::from(unsafe { Unknown::from_raw_unchecked(env.raw(), value) })
}

/// A config error, for arguments the core never sees.
pub fn config(env: &Env, message: impl Into<String>) -> Error {
    throw(env, eventbus::Error::Config(message.into()))
}
