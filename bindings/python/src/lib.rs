//! The native half of the `eventbus-producer` wheel: Python classes over
//! the eventbus core, imported as `eventbus._native`. Each file owns one
//! Python class or one boundary concern:
//!
//! - `datum`: the core's `Datum` over Python values, and the builder that
//!   turns decoded Avro back into Python objects;
//! - `errors`: the one place a core error becomes a Python exception, and
//!   the panic boundary;
//! - `serializer`, `producer`: the Python classes;
//! - `dispatch`: the thread that brings librdkafka's callbacks to Python;
//! - `logs`: the core's `tracing` events into Python's `logging`;
//! - `fork`: which process a producer belongs to;
//! - `host`: the Python objects the conversions use.
//!
//! The pure-Python package (`python/eventbus`) defines the exception
//! classes and the hooks for fork and interpreter exit.

mod datum;
mod dispatch;
mod errors;
mod fork;
mod host;
mod logs;
mod producer;
mod serializer;

use pyo3::prelude::*;

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    logs::install();
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add_class::<serializer::PySerializer>()?;
    module.add_class::<producer::PyProducer>()?;
    module.add_class::<producer::PyDelivery>()?;
    module.add_class::<producer::PyDeliveryReport>()?;
    module.add_function(wrap_pyfunction!(producer::close_open_producers, module)?)?;
    module.add_function(wrap_pyfunction!(fork::after_fork_in_child, module)?)?;
    module.add_function(wrap_pyfunction!(errors::panic_boundary_check, module)?)?;
    module.add_function(wrap_pyfunction!(dispatch::shut_down, module)?)?;
    Ok(())
}
