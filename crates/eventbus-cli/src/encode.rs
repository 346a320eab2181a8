//! `eventbus encode`: JSON records in, Confluent-framed Avro out. This
//! module owns the pin and schema-source flags and the per-record loop;
//! validation, encoding and the local-copy check against the registry are
//! the core's [`eventbus::SerializerBuilder`].

use std::io::{self, Write};
use std::path::PathBuf;

use clap::{ArgGroup, Args};
use eventbus::{SchemaPin, Serializer};

use crate::failure::Failure;
use crate::input::for_each_input;
use crate::output::{OutputFormat, write_message};
use crate::settings::RegistryArgs;

const EXAMPLES: &str = r#"Examples:
  # One record, schema from a local copy only (no registry needed):
  eventbus encode --schema-id 12 --schema examples/schemas/user.avsc \
    --value '{"name":"Newbie","company":"Ad Hoc","dateOfBirth":"2000-07-26","sequenceNumber":1}'

  # Many records, one JSON document per line; the local copy is checked
  # against the registry's schema 12 before anything is written:
  jq -c . records.json | eventbus encode --schema-id 12 --schema user.avsc \
    --registry https://schema-registry.example:8081

  # Resolve a subject version through the registry (SCHEMA_REGISTRY_URL):
  eventbus encode --subject user-value --version 3 --value "$(jq -c . user.json)"

Output is one lowercase hex line per record. --output base64 prints one
base64 line per record; --output raw writes the framed bytes with nothing
between records, so use it for a single record or a reader that knows the lengths.

A record that does not match the schema is reported on stderr with its
field path (and its line number when read from stdin); the other lines are
still encoded, and the exit code is 1 if any record failed."#;

/// Validate JSON records against a pinned schema and write them in the
/// Confluent wire format (zero byte, 4-byte schema id, Avro datum)
#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
#[command(group(ArgGroup::new("pin").required(true).args(["schema_id", "subject"])))]
pub struct EncodeArgs {
    /// The schema id to write with, as the Event Bus team assigned it
    #[arg(long, value_name = "ID")]
    schema_id: Option<u32>,

    /// Resolve the schema id from this registry subject (with --version)
    #[arg(long, value_name = "SUBJECT", requires = "version")]
    subject: Option<String>,

    /// The subject's version number, or `latest` (needs --allow-latest)
    #[arg(long, value_name = "N|latest", requires = "subject")]
    version: Option<String>,

    /// Accept --version latest; a version registered later would change
    /// what this command writes
    #[arg(long)]
    allow_latest: bool,

    /// Local copy of the schema; with a registry too, checked against it
    #[arg(long, value_name = "FILE.avsc")]
    schema: Option<PathBuf>,

    #[command(flatten)]
    registry: RegistryArgs,

    /// One record as JSON; without it, records are read from stdin, one per line
    #[arg(long, value_name = "JSON")]
    value: Option<String>,

    #[arg(long, value_enum, default_value_t = OutputFormat::Hex)]
    output: OutputFormat,
}

pub fn run(args: EncodeArgs) -> Result<(), Failure> {
    let serializer = build_serializer(&args)?;

    let stdout = io::stdout();
    let mut out = stdout.lock();
    for_each_input(args.value.as_deref(), "records", |line| {
        let record: serde_json::Value = serde_json::from_slice(line)
            .map_err(|err| Failure::input(format!("not a JSON document: {err}")))?;
        let message = serializer.encode(&record).map_err(Failure::input)?;
        write_message(&mut out, args.output, &message).map_err(Failure::writing_output)
    })?;
    out.flush().map_err(Failure::writing_output)
}

fn build_serializer(args: &EncodeArgs) -> Result<Serializer, Failure> {
    let pin = match (args.schema_id, &args.subject, &args.version) {
        (Some(schema_id), _, _) => SchemaPin::Id(schema_id),
        (None, Some(subject), Some(version)) => SchemaPin::subject_version(subject, version)?,
        _ => {
            return Err(Failure::fatal(
                "give --schema-id, or --subject with --version",
            ));
        }
    };
    let registry = args.registry.client()?;
    if registry.is_none() {
        if args.schema.is_none() {
            return Err(Failure::fatal(
                "no schema source: give --schema FILE.avsc, or --registry URL (or set \
                 SCHEMA_REGISTRY_URL)",
            ));
        }
        if !matches!(pin, SchemaPin::Id(_)) {
            return Err(Failure::fatal(
                "--subject and --version are resolved through the schema registry: give \
                 --registry URL (or set SCHEMA_REGISTRY_URL), or pin with --schema-id",
            ));
        }
    }

    let mut builder = Serializer::builder()
        .pin(pin)
        .allow_latest(args.allow_latest);
    if let Some(path) = &args.schema {
        builder = builder.local_schema_file(path);
    }
    if let Some(registry) = registry {
        builder = builder.registry(registry);
    }
    Ok(builder.build()?)
}
