//! The native addon of the `eventbus-producer` npm package: the eventbus
//! core behind JavaScript classes. It adds conversion and idiom only:
//!
//! - `tape`: values to encode, as `tape.js` writes them, read by the core;
//! - `thread_state`: what each JavaScript thread keeps: interned keys, the
//!   encode buffer, the registry that names serializers by number;
//! - `decoded`: decoded Avro built straight into JavaScript values;
//! - `owned`: copies of values for messages that wait off the event loop;
//! - `errors`: the one place a core error becomes an `EventBusError`;
//! - `settle`: promises settled from librdkafka's threads;
//! - `logging`: the core's logs, handed to the `setLogger` callback;
//! - `serializer`, `producer`: the classes;
//! - `encode`: the hot path of `Serializer.prototype.encode`.
//!
//! `index.js` loads this addon, hands it the `EventBusError` class, and
//! re-exports what it defines.

// napi-derive registers exports only outside test builds, so under
// `cargo clippy --all-targets` they look unused.
#![cfg_attr(test, allow(dead_code))]

#[macro_use]
extern crate napi_derive;

mod decoded;
mod encode;
mod errors;
mod logging;
mod owned;
mod producer;
mod serializer;
mod settle;
mod tape;
mod thread_state;

#[napi_derive::module_init]
fn init() {
    logging::install();
}

/// What each environment (the main thread, a worker) needs as it loads the
/// addon, beyond the `#[napi]` items.
#[napi(module_exports)]
pub fn exports(exports: napi::bindgen_prelude::Object, env: napi::Env) -> napi::Result<()> {
    encode::export(&env, &exports)
}

/// The package's version, the core crate's.
#[napi]
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
