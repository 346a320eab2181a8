//! eventbus-wasm: the pure part of the eventbus core for JavaScript hosts
//! with no native addon: browsers, edge workers, platforms without a
//! prebuilt binary.
//!
//! This crate only converts: JavaScript values to the core's natural JSON
//! and back, core errors to `EventBusError`s, core reports to plain
//! objects. Every rule (Avro encoding, the Confluent framing, the catalog's
//! checks, schema resolution) stays in the core, which is built here without
//! its `kafka`, `registry` and `aws` features: nothing in this package opens
//! a connection.
//!
//! - [`serializer`]: the `Serializer` class.
//! - [`checks`]: `validateCatalog` and `checkCompatibility`.
//! - [`report`]: the reports as JSON, shared with the native reference
//!   program that the conformance tests compare against.
//! - [`json`]: JavaScript values to natural JSON and back.
//! - [`error`]: core errors as JavaScript errors.

pub mod checks;
pub mod error;
pub mod json;
pub mod report;
pub mod serializer;

use wasm_bindgen::prelude::wasm_bindgen;

/// The package's version, the core crate's.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
