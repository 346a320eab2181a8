//! The one error type of the library, and the stable kind names that every
//! binding maps to its own exceptions or result codes.
//!
//! Each variant's message says what went wrong and what to do about it. The
//! kind names returned by [`ErrorKind::as_str`] are part of the public
//! contract: bindings switch on them, so they never change once released.

use std::fmt;

/// The stable category of an [`Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Settings are missing, malformed or contradict the Event Bus rules.
    Config,
    /// A schema text is not a valid Avro schema, or uses a feature we do not support.
    InvalidSchema,
    /// The schema registry could not be reached or answered with a server error.
    RegistryUnavailable,
    /// The registry has no schema for the pinned id, subject or version.
    SchemaNotFound,
    /// Two copies of a pinned schema disagree, or a message names another schema.
    SchemaMismatch,
    /// A record does not match its schema; see [`Error::field_path`].
    InvalidRecord,
    /// Bytes are not a well-formed Confluent-framed Avro message.
    Decode,
    /// The broker refused our credentials or they could not be produced.
    Auth,
    /// A message could not be delivered; see [`Error::is_retriable`].
    Delivery,
    /// An operation did not finish within its time limit.
    Timeout,
    /// The producer was closed before the operation.
    Closed,
    /// The producer's local queue stayed full for longer than the enqueue timeout.
    QueueFull,
}

impl ErrorKind {
    /// The stable, snake_case name of this kind (`"invalid_record"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::InvalidSchema => "invalid_schema",
            ErrorKind::RegistryUnavailable => "registry_unavailable",
            ErrorKind::SchemaNotFound => "schema_not_found",
            ErrorKind::SchemaMismatch => "schema_mismatch",
            ErrorKind::InvalidRecord => "invalid_record",
            ErrorKind::Decode => "decode",
            ErrorKind::Auth => "auth",
            ErrorKind::Delivery => "delivery",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Closed => "closed",
            ErrorKind::QueueFull => "queue_full",
        }
    }

    /// Every kind, in a fixed order (used by bindings to build their tables).
    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::Config,
        ErrorKind::InvalidSchema,
        ErrorKind::RegistryUnavailable,
        ErrorKind::SchemaNotFound,
        ErrorKind::SchemaMismatch,
        ErrorKind::InvalidRecord,
        ErrorKind::Decode,
        ErrorKind::Auth,
        ErrorKind::Delivery,
        ErrorKind::Timeout,
        ErrorKind::Closed,
        ErrorKind::QueueFull,
    ];
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong in this library.
///
/// Errors are cheap to clone so that a single failed registry lookup can be
/// handed to every caller that was waiting on it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("configuration error: {0}")]
    Config(String),

    #[error("invalid schema ({origin}): {reason}")]
    InvalidSchema { origin: String, reason: String },

    #[error(
        "schema registry unavailable at {url}: {reason}; check SCHEMA_REGISTRY_URL and that the \
         registry is reachable from this host"
    )]
    RegistryUnavailable { url: String, reason: String },

    #[error("schema not found: {what} does not exist in the registry at {url}; {hint}")]
    SchemaNotFound {
        what: String,
        url: String,
        hint: String,
    },

    #[error("schema mismatch: {0}")]
    SchemaMismatch(String),

    #[error("invalid record: {}: {problem}", display_path(.field_path))]
    InvalidRecord { field_path: String, problem: String },

    #[error("cannot decode message: {0}")]
    Decode(String),

    #[error("authentication failed: {0}")]
    Auth(String),

    #[error("delivery failed ({}): {reason}", if *.retriable { "retriable" } else { "not retriable" })]
    Delivery { reason: String, retriable: bool },

    #[error("timed out: {0}")]
    Timeout(String),

    #[error("producer is closed: {0}")]
    Closed(String),

    #[error(
        "the producer's local queue is full: {0}; the brokers are not keeping up or are \
         unreachable, so slow down, flush, or raise the queue size"
    )]
    QueueFull(String),
}

fn display_path(path: &str) -> &str {
    if path.is_empty() { "<root>" } else { path }
}

impl Error {
    /// The stable category of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_) => ErrorKind::Config,
            Error::InvalidSchema { .. } => ErrorKind::InvalidSchema,
            Error::RegistryUnavailable { .. } => ErrorKind::RegistryUnavailable,
            Error::SchemaNotFound { .. } => ErrorKind::SchemaNotFound,
            Error::SchemaMismatch(_) => ErrorKind::SchemaMismatch,
            Error::InvalidRecord { .. } => ErrorKind::InvalidRecord,
            Error::Decode(_) => ErrorKind::Decode,
            Error::Auth(_) => ErrorKind::Auth,
            Error::Delivery { .. } => ErrorKind::Delivery,
            Error::Timeout(_) => ErrorKind::Timeout,
            Error::Closed(_) => ErrorKind::Closed,
            Error::QueueFull(_) => ErrorKind::QueueFull,
        }
    }

    /// For an invalid record, the path of the offending field
    /// (`facility.city`, `procedureCodes[2]`, `attributes["plan"]`); empty for the root.
    pub fn field_path(&self) -> Option<&str> {
        match self {
            Error::InvalidRecord { field_path, .. } => Some(field_path),
            _ => None,
        }
    }

    /// Whether trying the same operation again may succeed.
    pub fn is_retriable(&self) -> bool {
        match self {
            Error::Delivery { retriable, .. } => *retriable,
            Error::RegistryUnavailable { .. } | Error::Timeout(_) | Error::QueueFull(_) => true,
            _ => false,
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Config(message.into())
    }
}

/// Shorthand for results of this library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
