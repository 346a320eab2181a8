//! The `eventbus` command: argument parsing, logging, and turning a failed
//! command into one line on stderr and an exit code. Each command group
//! lives in its own module; the Avro, wire-format and registry work is the
//! core library's.

mod decode;
mod encode;
mod failure;
mod input;
mod output;
mod schema;
mod settings;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

use crate::failure::Failure;

/// What clap itself exits with for a usage error.
const USAGE_EXIT_CODE: u8 = 2;

const ENVIRONMENT_HELP: &str = "\
Environment:
  SCHEMA_REGISTRY_URL                   registry base URL(s), comma-separated (--registry)
  SCHEMA_REGISTRY_PATH_PREFIX           path before the registry API (--registry-path-prefix)
  SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO  registry credentials as user:password
  SCHEMA_REGISTRY_CA_LOCATION           PEM file of CAs to trust for the registry
  EVENTBUS_LOG                          log filter for stderr, such as info or debug (default warn)

Run `eventbus <command> --help` for examples.";

/// Produce-side tools for the Enterprise Event Bus: Avro in the Confluent
/// wire format with a pinned schema id.
#[derive(Parser)]
#[command(name = "eventbus", version, after_help = ENVIRONMENT_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Encode(encode::EncodeArgs),
    Decode(decode::DecodeArgs),
    #[command(subcommand)]
    Schema(schema::SchemaCommand),
}

fn main() -> ExitCode {
    // A bug must still end in one line on stderr, not a backtrace hint.
    std::panic::set_hook(Box::new(|info| {
        let _ = writeln!(std::io::stderr(), "eventbus: internal error: {info}");
    }));

    let cli = match parse_arguments() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    init_logging();

    let result = match cli.command {
        Command::Encode(args) => encode::run(args),
        Command::Decode(args) => decode::run(args),
        Command::Schema(command) => schema::run(command),
    };
    match result {
        Ok(()) | Err(Failure::OutputClosed) => ExitCode::SUCCESS,
        Err(Failure::Input(message) | Failure::Fatal(message)) => {
            let _ = writeln!(std::io::stderr(), "eventbus: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Parses the command line; usage errors keep clap's text and exit code 2
/// but take the same `eventbus:` prefix as every other failure.
fn parse_arguments() -> Result<Cli, ExitCode> {
    let err = match Cli::try_parse() {
        Ok(cli) => return Ok(cli),
        Err(err) => err,
    };
    if !err.use_stderr() {
        // --help and --version: clap prints them to stdout and exits 0.
        err.exit();
    }
    let text = err.render().to_string();
    let text = match text.strip_prefix("error: ") {
        Some(message) => format!("eventbus: {message}"),
        None => text,
    };
    let _ = write!(std::io::stderr(), "{text}");
    Err(ExitCode::from(USAGE_EXIT_CODE))
}

/// Sends the core's `tracing` records (registry retries, a local schema used
/// unchecked) to stderr, so they never mix with the data on stdout.
fn init_logging() {
    let filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::WARN.into())
        .with_env_var("EVENTBUS_LOG")
        .from_env_lossy();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .without_time()
        .init();
}
