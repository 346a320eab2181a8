//! # eventbus
//!
//! Produce events to the Enterprise Event Bus (Apache Kafka on AWS MSK)
//! the way the Event Bus expects: Avro in the Confluent wire format with a
//! pinned schema id, schemas cached for the life of the process, and the
//! Event Bus client rules applied as defaults.
//!
//! - [`Config`]: bootstrap servers, protocol, AWS identity, registry;
//!   validated, with the Event Bus rules built in.
//! - [`Serializer`]: one pinned schema; `encode` validates and writes a
//!   caller's value, `decode` reads one back.
//! - [`RegistryClient`]: read-only schema registry lookups, cached.
//! - [`avro`]: the encoder and decoder, and the [`avro::Datum`] trait that
//!   bindings implement over their host objects.
//! - [`check_compatibility`]: whether a new schema version may follow the
//!   earlier ones under a registry compatibility mode, with what breaks.
//! - [`Error`]: one error type with stable [`ErrorKind`] names.
//!
//! The `kafka` feature (on by default) adds production through librdkafka;
//! the `registry` feature (on by default) adds the HTTP registry client.
//! Without both, the crate is pure Rust with no I/O beyond reading files.

pub mod avro;
pub mod catalog;
pub mod compatibility;
pub mod config;
#[cfg(feature = "kafka")]
mod connection;
#[cfg(feature = "kafka")]
pub mod diagnostics;
pub mod error;
pub mod iam;
pub mod log_text;
#[cfg(feature = "kafka")]
pub mod producer;
#[cfg(feature = "kafka")]
pub mod reader;
#[cfg(feature = "registry")]
pub mod registry;
pub mod schema;
pub mod serializer;
pub mod wire;

pub use compatibility::{
    BreakingChange, ChangeKind, CompatibilityMode, CompatibilityReport, Direction, PreviousVersion,
    check_compatibility,
};
pub use config::{Config, ConfigBuilder, RegistryConfig, SecurityProtocol};
pub use error::{Error, ErrorKind, Result};
#[cfg(feature = "kafka")]
pub use producer::{DeliveryHandle, DeliveryReport, Producer, ProducerBuilder, TopicBinding};
#[cfg(feature = "registry")]
pub use registry::RegistryClient;
pub use schema::{CompiledSchema, SchemaPin};
pub use serializer::{Serializer, SerializerBuilder};
