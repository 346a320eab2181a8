//! The C API of eventbus: `libeventbus.so`, `libeventbus.a` and
//! `include/eventbus.h` (generated from this crate by cbindgen, see
//! `header-gen`). It holds no Event Bus rules of its own; each file owns
//! one C type or one boundary concern:
//!
//! - `result`: the numbered result codes and the thread's last error, the
//!   one place a core error becomes a C value;
//! - `boundary`: the panic boundary and the checks on C pointers and text;
//! - `config`, `producer`, `serializer`: the handles and their functions;
//! - `log`: the core's `tracing` events, handed to a C callback;
//! - `fork`: which process a producer belongs to.
//!
//! Every export is `extern "C"`, runs behind `boundary::guard`, checks each
//! pointer for NULL and writes out-parameters only on success. The API
//! rules for C readers are at the top of the header (`cbindgen.toml`).

// Every export takes raw pointers from C, where nothing marks them as
// checked; each is checked for NULL in `boundary` and its contract is
// written in the header comment, which is what a C caller reads.
#![allow(clippy::not_unsafe_ptr_arg_deref)]
// The exported types carry the names C code sees (`eventbus_producer`).
#![allow(non_camel_case_types)]

mod boundary;
mod config;
mod fork;
mod log;
mod producer;
mod result;
mod serializer;

use std::ffi::c_char;

pub use boundary::eventbus_buffer_free;
pub use config::eventbus_config;
pub use log::{eventbus_log_callback, eventbus_log_level};
pub use producer::{
    eventbus_delivery_callback, eventbus_delivery_report, eventbus_header, eventbus_producer,
    eventbus_topic_binding,
};
pub use result::eventbus_result;
pub use serializer::eventbus_serializer;

/// The library's version, such as `"0.1.0"`; compare it with
/// `EVENTBUS_VERSION` to detect a header and library that do not match.
///
/// Ownership: static; do not free. Threads: any.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_version() -> *const c_char {
    const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr().cast()
}

/// Panics inside the library, to show that the panic boundary works: it
/// always returns `EVENTBUS_RESULT_INTERNAL`, with the panic's message as
/// the last error, and the process goes on. Only for tests.
///
/// Threads: any.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_check_panic_boundary() -> eventbus_result {
    boundary::guard(|| panic!("the panic boundary works"))
}
