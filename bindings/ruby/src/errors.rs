//! The one place a core [`eventbus::Error`] becomes a Ruby exception.
//!
//! The classes live in `lib/eventbus/errors.rb`, one per stable kind name;
//! this file only picks the class and fills in the attributes the Ruby
//! side reads (`field_path`, `retriable?`).

use std::panic::{AssertUnwindSafe, catch_unwind};

use eventbus::ErrorKind;
use magnus::{Error, ExceptionClass, Ruby, prelude::*};

use crate::host;

/// The Ruby class name for each kind of core error.
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
        // still arrives as an EventBus::Error.
        _ => "Error",
    }
}

/// Converts a core error into the matching `EventBus::*` exception.
pub fn raise(ruby: &Ruby, err: eventbus::Error) -> Error {
    let build = || -> Result<Error, Error> {
        let class: ExceptionClass = host::event_bus_const(ruby, class_name(err.kind()))?;
        let field_path = err.field_path().map(str::to_owned);
        let exception: magnus::Exception = class.funcall(
            "new",
            (
                err.to_string(),
                err.kind().as_str(),
                field_path,
                err.is_retriable(),
            ),
        )?;
        Ok(exception.into())
    };
    build().unwrap_or_else(|lookup_failure| lookup_failure)
}

/// An `EventBus::Error` of no particular kind, for the binding's own failures.
pub fn generic(ruby: &Ruby, message: impl Into<String>) -> Error {
    let message = message.into();
    match host::event_bus_const::<ExceptionClass>(ruby, "Error") {
        Ok(class) => Error::new(class, message),
        Err(err) => err,
    }
}

/// Runs an entry point so that no Rust panic unwinds into Ruby: a panic
/// becomes an `EventBus::Error` naming it.
pub fn guard<T>(ruby: &Ruby, body: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(payload) => {
            let detail = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(generic(
                ruby,
                format!("internal error in the eventbus extension: {detail}"),
            ))
        }
    }
}
