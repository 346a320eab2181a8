//! `eventbus schema`: look at schemas without encoding anything: fetch one
//! from the registry by id, or print a local file's identity (the
//! fingerprints the core compares copies by). Also reads `.avsc` files for
//! the other commands.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use eventbus::CompiledSchema;

use crate::failure::Failure;
use crate::settings::RegistryArgs;

const GET_EXAMPLES: &str = "Examples:
  eventbus schema get 12 --registry https://schema-registry.example:8081
  SCHEMA_REGISTRY_URL=https://schema-registry.example:8081 eventbus schema get 12 > user.avsc";

const FINGERPRINT_EXAMPLES: &str = "Examples:
  eventbus schema fingerprint examples/schemas/user.avsc

Prints three lines: the SHA-256 of the Parsing Canonical Form (two copies of
a schema are the same schema exactly when these agree; the local-copy check
against the registry compares them), the 64-bit Rabin fingerprint Avro
itself uses, and the canonical form.";

/// Fetch and inspect Avro schemas
#[derive(Subcommand, Debug)]
pub enum SchemaCommand {
    Get(GetArgs),
    Fingerprint(FingerprintArgs),
}

/// Print the schema registered under an id, as pretty JSON
#[derive(Args, Debug)]
#[command(after_help = GET_EXAMPLES)]
pub struct GetArgs {
    /// The schema id
    #[arg(value_name = "ID")]
    schema_id: u32,

    #[command(flatten)]
    registry: RegistryArgs,
}

/// Print a schema file's sha256 and Rabin fingerprints and its canonical form
#[derive(Args, Debug)]
#[command(after_help = FINGERPRINT_EXAMPLES)]
pub struct FingerprintArgs {
    #[arg(value_name = "FILE.avsc")]
    schema: PathBuf,
}

pub fn run(command: SchemaCommand) -> Result<(), Failure> {
    let text = match command {
        SchemaCommand::Get(args) => get(&args)?,
        SchemaCommand::Fingerprint(args) => fingerprint(&args)?,
    };
    let mut out = io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(Failure::writing_output)
}

fn get(args: &GetArgs) -> Result<String, Failure> {
    let registry = args.registry.required_client("schema get")?;
    let schema = registry.schema_by_id(args.schema_id)?;

    // The core has already parsed this text as a schema, so it is JSON.
    let json: serde_json::Value = serde_json::from_str(schema.text()).map_err(|err| {
        Failure::fatal(format!("schema id {} is not JSON: {err}", args.schema_id))
    })?;
    serde_json::to_string_pretty(&json)
        .map_err(|err| Failure::fatal(format!("cannot print schema: {err}")))
}

fn fingerprint(args: &FingerprintArgs) -> Result<String, Failure> {
    let schema = read_schema_file(&args.schema)?;
    Ok(format!(
        "{}\n{}\n{}",
        schema.fingerprint(),
        schema.rabin_fingerprint(),
        schema.canonical_form()
    ))
}

pub fn read_schema_file(path: &Path) -> Result<CompiledSchema, Failure> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        Failure::fatal(format!("cannot read schema file {}: {err}", path.display()))
    })?;
    Ok(CompiledSchema::parse(&text, &path.display().to_string())?)
}
