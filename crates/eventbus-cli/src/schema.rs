//! `eventbus schema`: look at schemas without encoding anything: fetch one
//! from the registry by id, print a local file's identity (the fingerprints
//! the core compares copies by), or check a new version against earlier
//! ones (the verdict is the core's; this module finds the schemas and
//! prints the answer). Also reads `.avsc` files for the other commands.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use eventbus::{CompatibilityMode, CompatibilityReport, CompiledSchema, PreviousVersion};

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

const CHECK_EXAMPLES: &str = "Examples:
  # Against the versions already registered for a subject (BACKWARD, the
  # Event Bus default: the new schema must read every event of the latest):
  eventbus schema check appointment.avsc --subject appointments-value \\
    --registry https://schema-registry.example:8081

  # Against local copies of earlier versions, oldest first:
  eventbus schema check appointment-v3.avsc --against appointment-v1.avsc appointment-v2.avsc \\
    --mode full-transitive

Prints a verdict line, then one line per breaking change: its path in the
schema and what breaks, naming the earlier version it breaks against. Local
files given to --against are versions 1, 2, ... in the order given.

Modes: backward (the new schema reads events written with the latest
version), forward (readers of the latest version read events written with
the new schema), full (both); the -transitive forms check every earlier
version instead of the latest only. The rules are the Avro specification's
schema resolution, decided here; nothing is registered.

Exit code: 0 compatible, 1 incompatible, 2 when no verdict could be reached
(a usage error, an unreadable schema, a registry that could not answer).";

/// Fetch, inspect and check Avro schemas
#[derive(Subcommand, Debug)]
pub enum SchemaCommand {
    Get(GetArgs),
    Fingerprint(FingerprintArgs),
    Check(CheckArgs),
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

/// Check whether a new schema version may follow the earlier ones under a
/// compatibility mode, and print what breaks
#[derive(Args, Debug)]
#[command(after_help = CHECK_EXAMPLES)]
#[command(group(ArgGroup::new("earlier").required(true).args(["against", "subject"])))]
pub struct CheckArgs {
    /// The new schema
    #[arg(value_name = "NEW.avsc")]
    schema: PathBuf,

    /// Earlier versions as local files, oldest first
    #[arg(long, value_name = "OLD.avsc", num_args = 1..)]
    against: Vec<PathBuf>,

    /// The registry subject whose registered versions to check against
    #[arg(long, value_name = "SUBJECT")]
    subject: Option<String>,

    /// Which versions to check against, and in which direction
    #[arg(long, value_enum, default_value_t = ModeArg::Backward)]
    mode: ModeArg,

    #[command(flatten)]
    registry: RegistryArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ModeArg {
    Backward,
    Forward,
    Full,
    BackwardTransitive,
    ForwardTransitive,
    FullTransitive,
}

impl From<ModeArg> for CompatibilityMode {
    fn from(mode: ModeArg) -> Self {
        match mode {
            ModeArg::Backward => CompatibilityMode::Backward,
            ModeArg::Forward => CompatibilityMode::Forward,
            ModeArg::Full => CompatibilityMode::Full,
            ModeArg::BackwardTransitive => CompatibilityMode::BackwardTransitive,
            ModeArg::ForwardTransitive => CompatibilityMode::ForwardTransitive,
            ModeArg::FullTransitive => CompatibilityMode::FullTransitive,
        }
    }
}

pub fn run(command: SchemaCommand) -> Result<(), Failure> {
    let text = match command {
        SchemaCommand::Get(args) => get(&args)?,
        SchemaCommand::Fingerprint(args) => fingerprint(&args)?,
        SchemaCommand::Check(args) => return check(&args),
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

/// Prints the verdict and the breaking changes; an incompatible schema is a
/// failure (exit 1) and anything that stops the check is undecided (exit 2).
fn check(args: &CheckArgs) -> Result<(), Failure> {
    let (report, against) = check_report(args).map_err(Failure::undecided)?;

    let mut out = io::stdout().lock();
    let mut lines = vec![verdict(&report, &against)];
    lines.extend(report.breaking_changes.iter().map(ToString::to_string));
    for line in lines {
        writeln!(out, "{line}").map_err(Failure::writing_output)?;
    }
    out.flush().map_err(Failure::writing_output)?;

    match report.breaking_changes.len() {
        0 => Ok(()),
        1 => Err(Failure::fatal(
            "the new schema is incompatible: 1 breaking change",
        )),
        count => Err(Failure::fatal(format!(
            "the new schema is incompatible: {count} breaking changes"
        ))),
    }
}

/// The report, and how the versions it checked against are named.
fn check_report(args: &CheckArgs) -> Result<(CompatibilityReport, String), Failure> {
    let new = read_schema_file(&args.schema)?;

    let earlier: Vec<(u32, String, Arc<CompiledSchema>)> = match &args.subject {
        Some(subject) => {
            let registry = args.registry.required_client("schema check --subject")?;
            registry
                .subject_history(subject)?
                .into_iter()
                .map(|(version, schema)| (version, format!("version {version}"), schema))
                .collect()
        }
        None => args
            .against
            .iter()
            .zip(1..)
            .map(|(path, version)| {
                let name = format!("version {version} ({})", path.display());
                Ok((version, name, Arc::new(read_schema_file(path)?)))
            })
            .collect::<Result<_, Failure>>()?,
    };
    let previous: Vec<PreviousVersion<'_>> = earlier
        .iter()
        .map(|(version, _, schema)| PreviousVersion {
            version: *version,
            schema,
        })
        .collect();
    let report = eventbus::check_compatibility(&new, &previous, args.mode.into())?;

    let names: Vec<&str> = earlier
        .iter()
        .filter(|(version, ..)| report.checked_versions.contains(version))
        .map(|(_, name, _)| name.as_str())
        .collect();
    let mut against = names.join(", ");
    if let Some(subject) = &args.subject {
        against = format!("{against} of subject {subject}");
    }
    Ok((report, against))
}

fn verdict(report: &CompatibilityReport, against: &str) -> String {
    let mode = report.mode;
    match report.breaking_changes.len() {
        _ if report.checked_versions.is_empty() => {
            format!("compatible under {mode}: there is no earlier version to check against")
        }
        0 => format!("compatible under {mode} with {against}"),
        1 => format!("incompatible under {mode} with {against}: 1 breaking change"),
        count => format!("incompatible under {mode} with {against}: {count} breaking changes"),
    }
}

pub fn read_schema_file(path: &Path) -> Result<CompiledSchema, Failure> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        Failure::fatal(format!("cannot read schema file {}: {err}", path.display()))
    })?;
    Ok(CompiledSchema::parse(&text, &path.display().to_string())?)
}
