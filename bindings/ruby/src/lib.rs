//! The native half of the `eventbus-producer` gem: Ruby classes over the
//! eventbus core. Each file owns one Ruby class or one boundary concern:
//!
//! - `datum`: the core's `Datum` over Ruby values, and the builder that turns
//!   decoded Avro back into Ruby objects;
//! - `errors`: the one place a core error becomes a Ruby exception;
//! - `gvl`: running blocking work with the GVL released;
//! - `host`: the Ruby classes the conversions recognise;
//! - `logging`: the core's logs, queued for the Ruby logger;
//! - `serializer`, `producer`, `delivery`: the Ruby classes.
//!
//! The Ruby side (`lib/`) defines the exception classes and the keyword
//! argument front doors; it is loaded before this extension raises anything.

mod datum;
mod delivery;
mod errors;
mod gvl;
mod host;
mod logging;
mod producer;
mod serializer;

use magnus::{Error, Module, Ruby};

#[magnus::init(name = "eventbus_native")]
fn init(ruby: &Ruby) -> Result<(), Error> {
    host::init(ruby)?;
    logging::install();
    let module = ruby.define_module("EventBus")?;
    module.const_set("VERSION", env!("CARGO_PKG_VERSION"))?;
    logging::define(module)?;
    serializer::define(ruby, module)?;
    producer::define(ruby, module)?;
    delivery::define(ruby, module)?;
    Ok(())
}
