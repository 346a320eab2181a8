//! The one place a core [`eventbus::Error`] becomes a Python exception, and
//! the panic boundary of every entry point.
//!
//! The classes live in `eventbus/errors.py`, one per stable kind name; this
//! file only picks the class and fills in the attributes the Python side
//! reads (`kind`, `field_path`, `retriable`).

use std::panic::{AssertUnwindSafe, catch_unwind};

use eventbus::ErrorKind;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::host;

/// The Python class name for each kind of core error.
fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Config => "ConfigError",
        ErrorKind::InvalidSchema => "InvalidSchema",
        ErrorKind::RegistryUnavailable => "RegistryUnavailable",
        ErrorKind::SchemaNotFound => "SchemaNotFound",
        ErrorKind::SchemaMismatch => "SchemaMismatch",
        ErrorKind::InvalidRecord => "InvalidRecord",
        ErrorKind::Decode => "DecodeError",
        ErrorKind::Auth => "AuthError",
        ErrorKind::Delivery => "DeliveryError",
        ErrorKind::Timeout => "TimeoutError",
        ErrorKind::Closed => "ClosedError",
        ErrorKind::QueueFull => "QueueFullError",
        // The kind list is non-exhaustive: a kind added to the core later
        // still arrives as an EventBusError.
        _ => "EventBusError",
    }
}

/// Converts a core error into the matching `eventbus.errors` exception.
pub fn to_py(py: Python<'_>, err: &eventbus::Error) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let class = host::get(py)?
            .errors
            .bind(py)
            .getattr(class_name(err.kind()))?;
        let attributes = PyDict::new(py);
        attributes.set_item("kind", err.kind().as_str())?;
        attributes.set_item("field_path", err.field_path())?;
        attributes.set_item("retriable", err.is_retriable())?;
        let exception = class.call((err.to_string(),), Some(&attributes))?;
        Ok(PyErr::from_value(exception))
    };
    build().unwrap_or_else(|lookup_failure| lookup_failure)
}

/// An `EventBusError` of no particular kind, for the binding's own failures.
pub fn generic(py: Python<'_>, message: impl Into<String>) -> PyErr {
    let message = message.into();
    let build = || -> PyResult<PyErr> {
        let class = host::get(py)?.errors.bind(py).getattr("EventBusError")?;
        Ok(PyErr::from_value(class.call1((message.clone(),))?))
    };
    build().unwrap_or_else(|_| PyRuntimeError::new_err(message.clone()))
}

/// A `ConfigError` for settings the binding reads before the core sees them.
pub fn config(py: Python<'_>, message: impl Into<String>) -> PyErr {
    to_py(py, &eventbus::Error::Config(message.into()))
}

/// Core results into Python results.
pub trait IntoPyResult<T> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for eventbus::Result<T> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|err| to_py(py, &err))
    }
}

/// Runs an entry point so that no Rust panic reaches Python as pyo3's
/// `PanicException` (a `BaseException` that `except Exception` misses): a
/// panic becomes an `EventBusError` naming it.
pub fn guard<T>(py: Python<'_>, body: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(payload) => {
            let detail = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(generic(
                py,
                format!("internal error in the eventbus extension: {detail}"),
            ))
        }
    }
}

/// Panics inside the boundary, so that the tests can show a panic reaches
/// Python as an `EventBusError`.
#[pyfunction]
#[pyo3(name = "_panic_boundary_check")]
pub fn panic_boundary_check(py: Python<'_>) -> PyResult<()> {
    guard(py, || panic!("the panic boundary works"))
}
