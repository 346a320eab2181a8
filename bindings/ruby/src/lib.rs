//! The native half of the `eventbus-producer` gem: Ruby classes over the
//! eventbus core. Each file owns one Ruby class or one boundary concern:
//!
//! - `datum`: the core's `Datum` over Ruby values, and the builder that turns
//!   decoded Avro back into Ruby objects;
//! - `errors`: the one place a core error becomes a Ruby exception;
//! - `gvl`: running blocking work with the GVL released;
//! - `serializer`: the Ruby class.
//!
//! The Ruby side (`lib/`) defines the exception classes and the keyword
//! argument front doors; it is loaded before this extension raises anything.

mod datum;
mod errors;
mod gvl;
mod host;
mod serializer;

use magnus::{Error, Module, Ruby};

#[magnus::init(name = "eventbus_native")]
fn init(ruby: &Ruby) -> Result<(), Error> {
    host::init(ruby)?;
    let module = ruby.define_module("EventBus")?;
    module.const_set("VERSION", env!("CARGO_PKG_VERSION"))?;
    serializer::define(ruby, module)?;
    Ok(())
}
