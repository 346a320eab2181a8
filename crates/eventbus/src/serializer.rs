//! [`Serializer`]: one pinned schema, and the Confluent-framed encode and
//! decode that every binding and the producer use.
//!
//! Where the schema comes from is settled once, in [`SerializerBuilder::build`]:
//! a local `.avsc` copy, the registry, or both. With both, the local copy is
//! checked against the registry's schema for the pinned id; if the registry
//! cannot be reached the local copy serves, so a producer can start offline.

use std::path::Path;
use std::sync::Arc;

use crate::avro::{Datum, DatumBuilder, JsonBuilder, JsonText, RecordError};
use crate::error::{Error, Result};
#[cfg(feature = "registry")]
use crate::registry::RegistryClient;
use crate::schema::{CompiledSchema, SchemaPin};
use crate::wire;

/// Encodes and decodes with one pinned schema, in the Confluent wire format.
///
/// Cheap to clone; safe to share between threads.
#[derive(Clone, Debug)]
pub struct Serializer {
    schema_id: u32,
    schema: Arc<CompiledSchema>,
}

impl Serializer {
    /// A serializer from a local copy of the schema alone, with no registry.
    pub fn from_schema_text(schema_id: u32, schema_text: &str) -> Result<Self> {
        Serializer::builder()
            .schema_id(schema_id)
            .local_schema(schema_text)
            .build()
    }

    /// A serializer for an already compiled schema.
    pub fn from_compiled(schema_id: u32, schema: Arc<CompiledSchema>) -> Self {
        Serializer { schema_id, schema }
    }

    pub fn builder() -> SerializerBuilder {
        SerializerBuilder::default()
    }

    /// The schema id written into every message.
    pub fn schema_id(&self) -> u32 {
        self.schema_id
    }

    pub fn schema(&self) -> &Arc<CompiledSchema> {
        &self.schema
    }

    /// Validates and encodes `value` into a new framed message.
    pub fn encode<D: Datum>(&self, value: D) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(256);
        self.encode_into(value, &mut out)?;
        Ok(out)
    }

    /// Validates and appends the framed encoding of `value` to `out`. On
    /// error `out` is left exactly as it was.
    pub fn encode_into<D: Datum>(&self, value: D, out: &mut Vec<u8>) -> Result<()> {
        self.write_framed(out, |out| self.schema.plan().encode(&value, out))
    }

    /// [`encode`](Self::encode) for a record read from JSON text. It is
    /// compiled once, in this crate, and shared by every caller that holds
    /// JSON text (the C API among them), where the generic `encode` is
    /// compiled anew for each crate that calls it.
    pub fn encode_json(&self, record: &JsonText<'_>) -> Result<Vec<u8>> {
        self.encode(record.datum())
    }

    /// [`encode_into`](Self::encode_into) for a record read from JSON text;
    /// see [`encode_json`](Self::encode_json).
    pub fn encode_json_into(&self, record: &JsonText<'_>, out: &mut Vec<u8>) -> Result<()> {
        self.encode_into(record.datum(), out)
    }

    /// Validates and encodes any serde value — typically the application's
    /// own `#[derive(Serialize)]` struct — into a new framed message, with
    /// no JSON in between. Fields are matched to the schema by name (as
    /// `#[serde(rename)]` spells them), unit variants are enum symbols,
    /// `Option` is a union's null branch, and logical types take the same
    /// values as from JSON: ISO text, or numbers in the schema's unit.
    pub fn encode_serialize<T: serde::Serialize + ?Sized>(&self, value: &T) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(256);
        self.encode_serialize_into(value, &mut out)?;
        Ok(out)
    }

    /// [`encode_serialize`](Self::encode_serialize), appending to `out`. On
    /// error `out` is left exactly as it was.
    pub fn encode_serialize_into<T: serde::Serialize + ?Sized>(
        &self,
        value: &T,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        self.write_framed(out, |out| self.schema.plan().encode_serialize(value, out))
    }

    /// Appends the framing header, then the datum `write_datum` encodes; on
    /// error takes both back off `out`.
    #[inline]
    fn write_framed(
        &self,
        out: &mut Vec<u8>,
        write_datum: impl FnOnce(&mut Vec<u8>) -> std::result::Result<(), RecordError>,
    ) -> Result<()> {
        let start = out.len();
        wire::write_header(out, self.schema_id);
        write_datum(out).map_err(|err| {
            out.truncate(start);
            err.into()
        })
    }

    /// Decodes a framed message into natural JSON.
    pub fn decode(&self, message: &[u8]) -> Result<serde_json::Value> {
        self.decode_with(message, &mut JsonBuilder)
    }

    /// Decodes a framed message with the caller's builder. The message must
    /// carry this serializer's schema id.
    pub fn decode_with<B: DatumBuilder>(
        &self,
        message: &[u8],
        builder: &mut B,
    ) -> Result<B::Value> {
        let (schema_id, datum) = wire::split(message)?;
        if schema_id != self.schema_id {
            return Err(Error::SchemaMismatch(format!(
                "the message was written with schema id {schema_id}, but this serializer is \
                 pinned to {}; decode it with a serializer for {schema_id}",
                self.schema_id
            )));
        }
        self.schema
            .plan()
            .decode(datum, builder)
            .map_err(Error::Decode)
    }
}

/// Where a [`Serializer`]'s schema comes from.
#[derive(Default)]
pub struct SerializerBuilder {
    pin: Option<SchemaPin>,
    allow_latest: bool,
    local: Option<LocalSchema>,
    #[cfg(feature = "registry")]
    registry: Option<RegistryClient>,
}

enum LocalSchema {
    Text(String),
    File(std::path::PathBuf),
}

impl SerializerBuilder {
    /// Pins the schema by id (the Event Bus way).
    pub fn schema_id(mut self, schema_id: u32) -> Self {
        self.pin = Some(SchemaPin::Id(schema_id));
        self
    }

    /// Pins the schema by id, subject and version, or (with
    /// [`allow_latest`](Self::allow_latest)) a subject's latest version.
    pub fn pin(mut self, pin: SchemaPin) -> Self {
        self.pin = Some(pin);
        self
    }

    /// Accepts [`SchemaPin::Latest`]. Off by default, as the Event Bus
    /// recommends (`use.latest.version=false`).
    pub fn allow_latest(mut self, allow: bool) -> Self {
        self.allow_latest = allow;
        self
    }

    /// A local copy of the pinned schema, as `.avsc` text.
    pub fn local_schema(mut self, schema_text: impl Into<String>) -> Self {
        self.local = Some(LocalSchema::Text(schema_text.into()));
        self
    }

    /// A local copy of the pinned schema, read from an `.avsc` file.
    pub fn local_schema_file(mut self, path: impl AsRef<Path>) -> Self {
        self.local = Some(LocalSchema::File(path.as_ref().to_path_buf()));
        self
    }

    /// The registry to fetch the schema from, or to check the local copy against.
    #[cfg(feature = "registry")]
    pub fn registry(mut self, registry: RegistryClient) -> Self {
        self.registry = Some(registry);
        self
    }

    /// Resolves and checks the schema. This is the only step that may talk
    /// to the registry; the serializer never does afterwards.
    pub fn build(self) -> Result<Serializer> {
        let pin = self.pin.ok_or_else(|| {
            Error::config("a serializer needs a schema id (or a subject and version) to pin")
        })?;
        if let SchemaPin::Latest { subject } = &pin
            && !self.allow_latest
        {
            return Err(Error::config(format!(
                "refusing to use the latest version of subject {subject:?}: a schema \
                     registered later would change what this producer writes without a deploy \
                     (the Event Bus sets use.latest.version=false). Pin a schema id or a \
                     version number, or opt in explicitly (allow_latest; --allow-latest on the \
                     command line)"
            )));
        }
        let local = match self.local {
            None => None,
            Some(local) => Some(compile_local(local)?),
        };

        #[cfg(feature = "registry")]
        if let Some(registry) = self.registry {
            return match local {
                None => {
                    let (schema_id, schema) = registry.fetch(&pin)?;
                    Ok(Serializer::from_compiled(schema_id, schema))
                }
                Some(local) => check_local_against_registry(&registry, &pin, local),
            };
        }

        match (pin, local) {
            (SchemaPin::Id(schema_id), Some(local)) => {
                Ok(Serializer::from_compiled(schema_id, Arc::new(local)))
            }
            (SchemaPin::Id(_), None) => Err(Error::config(
                "no schema source: give a local .avsc copy or a schema registry URL",
            )),
            (pin, _) => Err(Error::config(format!(
                "{pin} can only be resolved through a schema registry; configure one or pin by \
                 schema id"
            ))),
        }
    }
}

fn compile_local(local: LocalSchema) -> Result<CompiledSchema> {
    match local {
        LocalSchema::Text(text) => CompiledSchema::parse(&text, "local schema"),
        LocalSchema::File(path) => {
            let text = std::fs::read_to_string(&path).map_err(|err| {
                Error::config(format!("cannot read schema file {}: {err}", path.display()))
            })?;
            CompiledSchema::parse(&text, &path.display().to_string())
        }
    }
}

/// The start-up check of a local copy: the registry's schema for the pinned
/// id must have the same canonical form. An unreachable registry is not
/// fatal: the local copy serves, with a warning.
#[cfg(feature = "registry")]
fn check_local_against_registry(
    registry: &RegistryClient,
    pin: &SchemaPin,
    local: CompiledSchema,
) -> Result<Serializer> {
    match registry.fetch(pin) {
        Ok((schema_id, remote)) => {
            if remote.fingerprint() != local.fingerprint() {
                return Err(Error::SchemaMismatch(format!(
                    "the local copy of {pin} has fingerprint {} but the registry's schema \
                     {schema_id} has {}; update the local .avsc from the registry or pin the id \
                     that matches it",
                    local.fingerprint(),
                    remote.fingerprint()
                )));
            }
            Ok(Serializer::from_compiled(schema_id, remote))
        }
        Err(Error::RegistryUnavailable { url, reason }) => match pin {
            SchemaPin::Id(schema_id) => {
                tracing::warn!(
                    schema_id,
                    registry = %url,
                    %reason,
                    "schema registry unreachable; using the local copy of the schema unchecked"
                );
                Ok(Serializer::from_compiled(*schema_id, Arc::new(local)))
            }
            _ => Err(Error::RegistryUnavailable { url, reason }),
        },
        Err(err) => Err(err),
    }
}
