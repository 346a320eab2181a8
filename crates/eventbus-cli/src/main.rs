//! The `eventbus` command: argument parsing, logging, and turning a failed
//! command into one line on stderr and an exit code. Each command group
//! lives in its own module; the Avro, wire-format, registry and Kafka work
//! is the core library's.

mod catalog;
mod clock;
mod consume;
mod decode;
mod doctor;
mod encode;
mod envelope;
mod failure;
mod input;
mod output;
mod produce;
mod schema;
mod settings;
mod token;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

use crate::failure::Failure;

const LOG_VARIABLE: &str = "EVENTBUS_LOG";

/// Warnings, but only librdkafka's errors and the producer's: librdkafka
/// repeats each connection problem through two channels every few seconds,
/// and `produce` reports every failed delivery itself, with its line number.
const DEFAULT_LOG_FILTER: &str = "warn,librdkafka=error,eventbus::producer=error";

/// What clap itself exits with for a usage error.
const USAGE_EXIT_CODE: u8 = 2;

const ENVIRONMENT_HELP: &str = "\
Environment:
  EB_BOOTSTRAP_SERVERS                  broker host:port list, comma-separated (--bootstrap-servers);
                                        KAFKA_HOST is read when it is unset
  EB_SECURITY_PROTOCOL                  SASL_SSL (default) or PLAINTEXT (--security-protocol)
  EB_SSL_CA_LOCATION                    PEM file of CAs to trust for the brokers instead of the
                                        system store
  AWS_REGION, AWS_ROLE                  the AWS identity for MSK IAM authentication (and the
                                        AWS default chain's AWS_ACCESS_KEY_ID, AWS_PROFILE, ...)
  SCHEMA_REGISTRY_URL                   registry base URL(s), comma-separated (--registry)
  SCHEMA_REGISTRY_PATH_PREFIX           path before the registry API (--registry-path-prefix)
  SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO  registry credentials as user:password
  SCHEMA_REGISTRY_CA_LOCATION           PEM file of CAs to trust for the registry
  EVENTBUS_LOG                          log filter for stderr, such as info or debug (default
                                        warn, and error for librdkafka and the producer)

Run `eventbus <command> --help` for examples, and `eventbus doctor` when the Event Bus
cannot be reached.";

/// Produce-side tools for the Enterprise Event Bus: Avro in the Confluent
/// wire format with a pinned schema id, produced to Kafka and read back;
/// MSK IAM tokens taken apart, and the path to the brokers checked.
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
    Produce(produce::ProduceArgs),
    Consume(consume::ConsumeArgs),
    #[command(subcommand)]
    Schema(schema::SchemaCommand),
    #[command(subcommand)]
    Catalog(catalog::CatalogCommand),
    Token(token::TokenArgs),
    Doctor(doctor::DoctorArgs),
}

impl Command {
    /// The log filter when EVENTBUS_LOG is unset. `doctor` reports every
    /// problem in its own lines, so the core's warnings and librdkafka's
    /// retries would only repeat them on stderr.
    fn default_log_filter(&self) -> &'static str {
        match self {
            Command::Doctor(_) => "error,librdkafka=off",
            _ => DEFAULT_LOG_FILTER,
        }
    }
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
    init_logging(cli.command.default_log_filter());

    let result = match cli.command {
        Command::Encode(args) => encode::run(args),
        Command::Decode(args) => decode::run(args),
        Command::Produce(args) => produce::run(args),
        Command::Consume(args) => consume::run(args),
        Command::Schema(command) => schema::run(command),
        Command::Catalog(command) => catalog::run(command),
        Command::Token(args) => token::run(args),
        Command::Doctor(args) => doctor::run(args),
    };
    match result {
        Ok(()) | Err(Failure::OutputClosed) => ExitCode::SUCCESS,
        Err(Failure::Input(message) | Failure::Fatal(message)) => {
            let _ = writeln!(std::io::stderr(), "eventbus: {message}");
            ExitCode::FAILURE
        }
        Err(Failure::Undecided(message)) => {
            let _ = writeln!(std::io::stderr(), "eventbus: {message}");
            ExitCode::from(USAGE_EXIT_CODE)
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
fn init_logging(default_filter: &str) {
    let directives = std::env::var(LOG_VARIABLE)
        .ok()
        .filter(|directives| !directives.trim().is_empty())
        .unwrap_or_else(|| default_filter.to_string());
    let filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::WARN.into())
        .parse_lossy(directives);
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .without_time()
        .init();
}
