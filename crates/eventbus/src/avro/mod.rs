//! Avro for the Event Bus: schemas compiled once into plans, values encoded
//! straight from the caller's objects, and decoded into whatever the caller
//! builds. Nothing here knows about Kafka or the registry.

mod datum;
mod decode;
mod encode;
mod json;
mod json_text;
pub mod logical;
mod path;
mod plan;
mod serialize;

pub use datum::{Datum, DatumBuilder, DatumKind, TimeUnit};
pub use json::JsonBuilder;
pub use json_text::{JsonText, Node as JsonNode};
pub use path::RecordError;
pub use plan::Plan;

#[cfg(test)]
mod tests;
