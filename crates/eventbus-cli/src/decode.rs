//! `eventbus decode`: Confluent-framed Avro in, one JSON document a line
//! out. This module decides which schema reads each message (a pinned id, a
//! local file for any id, or the registry by the id in the header); reading
//! the bytes is the core's [`Serializer::decode`].

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use eventbus::{CompiledSchema, ErrorKind, RegistryClient, Serializer, wire};

use crate::failure::Failure;
use crate::input::for_each_input;
use crate::output::{InputFormat, read_message, write_json_line};
use crate::schema::read_schema_file;
use crate::settings::RegistryArgs;

const EXAMPLES: &str = r#"Examples:
  # Decode one message with a local copy of its schema:
  eventbus decode --schema examples/schemas/user.avsc 00000000010c4e65776269650c416420486f63b8ae0102

  # Decode messages from stdin, each with the schema its header names,
  # fetched from the registry once per id:
  eventbus decode --registry https://schema-registry.example:8081 < messages.hex

  # Insist on one schema id: a message written with another id is an error.
  eventbus decode --schema user.avsc --schema-id 12 --input base64 < messages.b64

Where the schema comes from:
  --schema FILE               the file reads every message, whatever id it names
  --schema FILE --schema-id   the file, checked against the registry's schema for
                              that id when a registry is set
  --registry URL              the registry's schema for the id in each message

A message that cannot be read is reported on stderr with its line number; the
other lines are still decoded, and the exit code is 1 if any message failed."#;

/// Read Confluent-framed Avro messages and print each record as one line of JSON
#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct DecodeArgs {
    /// Local copy of the schema to read messages with
    #[arg(long, value_name = "FILE.avsc")]
    schema: Option<PathBuf>,

    /// Accept only messages written with this schema id
    #[arg(long, value_name = "ID")]
    schema_id: Option<u32>,

    #[command(flatten)]
    registry: RegistryArgs,

    #[arg(long, value_enum, default_value_t = InputFormat::Hex)]
    input: InputFormat,

    /// One framed message; without it, messages are read from stdin, one per line
    #[arg(value_name = "MESSAGE")]
    message: Option<String>,
}

/// Which schema reads a message. `consume` reads with the registry variant.
pub(crate) enum Reader {
    /// Every message must carry this serializer's id.
    Pinned(Serializer),
    /// A local schema reads every message, whatever id it carries.
    AnyId(Arc<CompiledSchema>),
    /// The registry's schema for the id in each message's header.
    Registry(RegistryClient),
}

pub fn run(args: DecodeArgs) -> Result<(), Failure> {
    let reader = reader(&args)?;

    let stdout = io::stdout();
    let mut out = stdout.lock();
    for_each_input(args.message.as_deref(), "messages", |line| {
        let message = read_message(args.input, line).map_err(Failure::Input)?;
        let record = reader.decode(&message)?;
        write_json_line(&mut out, &record).map_err(Failure::writing_output)
    })?;
    out.flush().map_err(Failure::writing_output)
}

fn reader(args: &DecodeArgs) -> Result<Reader, Failure> {
    // Only a pinned id with a local file consults the registry alongside the
    // file; otherwise --schema wins, so a SCHEMA_REGISTRY_URL in the
    // environment does not turn an offline decode into a network one.
    match (&args.schema, args.schema_id) {
        (Some(path), Some(schema_id)) => {
            let mut builder = Serializer::builder()
                .schema_id(schema_id)
                .local_schema_file(path);
            if let Some(registry) = args.registry.client()? {
                builder = builder.registry(registry);
            }
            Ok(Reader::Pinned(builder.build()?))
        }
        (Some(path), None) => Ok(Reader::AnyId(Arc::new(read_schema_file(path)?))),
        (None, Some(schema_id)) => {
            let registry = args
                .registry
                .required_client("decode --schema-id without --schema")?;
            let schema = registry.schema_by_id(schema_id)?;
            Ok(Reader::Pinned(Serializer::from_compiled(schema_id, schema)))
        }
        (None, None) => {
            let registry = args.registry.client()?.ok_or_else(|| {
                Failure::fatal(
                    "no schema source: give --schema FILE.avsc, or --registry URL (or set \
                     SCHEMA_REGISTRY_URL)",
                )
            })?;
            Ok(Reader::Registry(registry))
        }
    }
}

impl Reader {
    pub(crate) fn decode(&self, message: &[u8]) -> Result<serde_json::Value, Failure> {
        let serializer = match self {
            Reader::Pinned(serializer) => serializer.clone(),
            Reader::AnyId(schema) => {
                let (schema_id, _) = wire::split(message).map_err(Failure::input)?;
                Serializer::from_compiled(schema_id, schema.clone())
            }
            Reader::Registry(registry) => {
                let (schema_id, _) = wire::split(message).map_err(Failure::input)?;
                let schema = registry.schema_by_id(schema_id).map_err(lookup_failure)?;
                Serializer::from_compiled(schema_id, schema)
            }
        };
        serializer.decode(message).map_err(Failure::input)
    }
}

/// An unknown id spoils one message; a registry that is down or refuses us
/// would spoil every line after it, each after its own retries.
fn lookup_failure(err: eventbus::Error) -> Failure {
    match err.kind() {
        ErrorKind::RegistryUnavailable | ErrorKind::Auth | ErrorKind::Config => {
            Failure::fatal(err.to_string())
        }
        _ => Failure::input(err),
    }
}
