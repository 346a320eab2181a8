//! `eventbus catalog`: the software catalog's `catalog-info.yaml` for an
//! event. `validate` reports every problem the core's catalog rules find,
//! as `file:line:column` lines an editor can jump to; `init` writes a valid
//! starter file from flags, asking on a terminal for what is missing.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use eventbus::catalog::{self, Severity, SourceSystem, StarterEvent, StarterTopic};

use crate::failure::Failure;

const VALIDATE_EXAMPLES: &str = "Examples:
  eventbus catalog validate
  eventbus catalog validate services/scheduler/catalog-info.yaml
  eventbus catalog validate --json catalog-info.yaml | jq .

Checks the Event entity against the Event Bus's rules: apiVersion and kind,
metadata.name (lowercase words joined by hyphens), description and title,
links, spec.type, lifecycle, removalDate, domain, sourceSystems, topics and
their environments, forwarders and retention; and that the fields the catalog
fills in itself (spec.schema, spec.schemaCompatibilityMode,
spec.topics[].brokerAddresses, spec.averageDailyEvents) are left out. Every
problem is listed with its line, column, field and a fix. Exits 1 when any is
an error; warnings (unknown fields) do not fail.

Editors with a YAML language server can check the file as it is typed with
schemas/catalog-info.schema.json from this repository.";

const INIT_EXAMPLES: &str = "Examples:
  eventbus catalog init        # on a terminal: asks for each field
  eventbus catalog init --name appointment-booked --title 'Appointment Booked' \\
    --description 'A Veteran's appointment was booked.' --domain health \\
    --system 'VistA Scheduling' --team 'Appointments Platform' --product-owner 'Jane Doe' \\
    --topic appointments.booked.dev:development --topic appointments.booked:production

Writes catalog-info.yaml (or --output FILE, - for stdout), refusing to
replace an existing file unless --force. The file is checked before it is
written.";

/// Check or start the catalog-info.yaml that registers an event in the software catalog
#[derive(Subcommand, Debug)]
pub enum CatalogCommand {
    Validate(ValidateArgs),
    Init(Box<InitArgs>),
}

/// Check a catalog-info.yaml against every rule for an Event entity
#[derive(Args, Debug)]
#[command(after_help = VALIDATE_EXAMPLES)]
pub struct ValidateArgs {
    /// The file to check
    #[arg(value_name = "FILE", default_value = "catalog-info.yaml")]
    file: PathBuf,

    /// Print each problem as a JSON object on its own line
    #[arg(long)]
    json: bool,
}

/// Write a starter catalog-info.yaml for an event
#[derive(Args, Debug)]
#[command(after_help = INIT_EXAMPLES)]
pub struct InitArgs {
    /// Machine-readable name: lowercase words joined by hyphens
    #[arg(long)]
    name: Option<String>,
    /// Human-readable name
    #[arg(long)]
    title: Option<String>,
    /// What the event is and the data it carries
    #[arg(long)]
    description: Option<String>,
    /// The VA domain: claims status, health, appointments, benefits, ...
    #[arg(long)]
    domain: Option<String>,
    /// experimental, development, production or deprecated
    #[arg(long, default_value = "development")]
    lifecycle: String,
    /// The system that sources the event
    #[arg(long)]
    system: Option<String>,
    /// The team that owns that system
    #[arg(long)]
    team: Option<String>,
    /// The product owner embedded on that team
    #[arg(long)]
    product_owner: Option<String>,
    /// A topic as NAME or NAME:ENVIRONMENT (development, the default, or production); repeatable
    #[arg(long = "topic", value_name = "NAME[:ENV]")]
    topics: Vec<String>,
    /// Where to write it; - for stdout
    #[arg(long, short, default_value = "catalog-info.yaml")]
    output: PathBuf,
    /// Replace the file if it exists
    #[arg(long)]
    force: bool,
}

pub fn run(command: CatalogCommand) -> Result<(), Failure> {
    match command {
        CatalogCommand::Validate(args) => validate(&args),
        CatalogCommand::Init(args) => init(*args),
    }
}

fn validate(args: &ValidateArgs) -> Result<(), Failure> {
    let shown = args.file.display().to_string();
    let text = std::fs::read_to_string(&args.file)
        .map_err(|err| Failure::fatal(format!("cannot read {shown}: {err}")))?;
    let report = catalog::validate(&text);

    let mut out = io::stdout().lock();
    for d in &report.diagnostics {
        if args.json {
            let line = serde_json::json!({
                "file": shown,
                "line": d.line,
                "column": d.column,
                "severity": d.severity.as_str(),
                "path": d.path,
                "message": d.message,
                "fix": d.fix,
            });
            writeln!(out, "{line}").map_err(Failure::writing_output)?;
        } else {
            let path = if d.path.is_empty() {
                String::new()
            } else {
                format!("{}: ", d.path)
            };
            writeln!(
                out,
                "{shown}:{}:{}: {}: {path}{}\n  fix: {}",
                d.line,
                d.column,
                d.severity.as_str(),
                d.message,
                d.fix
            )
            .map_err(Failure::writing_output)?;
        }
    }
    let errors = report.errors().count();
    let warnings = report.diagnostics.len() - errors;
    if errors > 0 {
        let also = if warnings > 0 {
            format!(" and {}", count(warnings, "warning"))
        } else {
            String::new()
        };
        return Err(Failure::fatal(format!(
            "{shown}: {}{also}",
            count(errors, "error")
        )));
    }
    if !args.json {
        let note = if warnings > 0 {
            format!(" ({})", count(warnings, "warning"))
        } else {
            String::new()
        };
        writeln!(out, "{shown}: a valid Event entity{note}").map_err(Failure::writing_output)?;
    }
    Ok(())
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn init(args: InitArgs) -> Result<(), Failure> {
    let to_stdout = args.output.as_os_str() == "-";
    if !to_stdout && args.output.exists() && !args.force {
        return Err(Failure::fatal(format!(
            "{} exists; check it with `eventbus catalog validate`, or use --force to replace it",
            args.output.display()
        )));
    }
    let mut ask = Asker::new();
    let name = ask.field(
        args.name,
        "--name",
        "Name (lowercase words joined by hyphens)",
    )?;
    let title = ask.field(args.title, "--title", "Title (for the catalog's pages)")?;
    let description = ask.field(args.description, "--description", "Description")?;
    let domain = ask.field(args.domain, "--domain", "Domain (health, benefits, ...)")?;
    let system = ask.field(args.system, "--system", "Source system")?;
    let team = ask.field(args.team, "--team", "Team that owns it")?;
    let product_owner = ask.field(args.product_owner, "--product-owner", "Product owner")?;
    let topics = if args.topics.is_empty() {
        let answer = ask.field(
            None,
            "--topic",
            "Topics, comma-separated, each NAME or NAME:ENVIRONMENT",
        )?;
        answer.split(',').map(|t| t.trim().to_owned()).collect()
    } else {
        args.topics
    };
    ask.finish()?;

    let starter = StarterEvent {
        name,
        title,
        description,
        domain,
        lifecycle: args.lifecycle,
        source_systems: vec![SourceSystem {
            system_name: system,
            team_name: team,
            product_owner,
        }],
        topics: topics
            .iter()
            .filter(|t| !t.is_empty())
            .map(|t| {
                let (topic, environment) = t.split_once(':').unwrap_or((t, "development"));
                StarterTopic {
                    topic: topic.to_owned(),
                    environment: environment.to_owned(),
                }
            })
            .collect(),
    };
    let yaml = starter.to_yaml();
    let report = catalog::validate(&yaml);
    if report.has_errors() {
        let problems: Vec<String> = report
            .errors()
            .map(|d| format!("{}: {} ({})", d.path, d.message, d.fix))
            .collect();
        return Err(Failure::fatal(format!(
            "not written, since the entity would not be valid: {}",
            problems.join("; ")
        )));
    }
    if to_stdout {
        io::stdout()
            .lock()
            .write_all(yaml.as_bytes())
            .map_err(Failure::writing_output)?;
        return Ok(());
    }
    std::fs::write(&args.output, &yaml)
        .map_err(|err| Failure::fatal(format!("cannot write {}: {err}", args.output.display())))?;
    let warnings = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let mut err = io::stderr().lock();
    let _ = writeln!(
        err,
        "wrote {}{}; commit it at the root of the repository",
        args.output.display(),
        if warnings > 0 {
            format!(" ({})", count(warnings, "warning"))
        } else {
            String::new()
        }
    );
    Ok(())
}

/// Fills in what the flags left out: by asking on a terminal, or, without
/// one, by naming every missing flag at once.
struct Asker {
    interactive: bool,
    missing: Vec<&'static str>,
}

impl Asker {
    fn new() -> Self {
        Asker {
            interactive: io::stdin().is_terminal() && io::stderr().is_terminal(),
            missing: Vec::new(),
        }
    }

    fn field(
        &mut self,
        given: Option<String>,
        flag: &'static str,
        prompt: &str,
    ) -> Result<String, Failure> {
        if let Some(value) = given {
            return Ok(value);
        }
        if !self.interactive {
            self.missing.push(flag);
            return Ok(String::new());
        }
        loop {
            let mut err = io::stderr().lock();
            let _ = write!(err, "{prompt}: ");
            let _ = err.flush();
            let mut answer = String::new();
            let read = io::stdin()
                .lock()
                .read_line(&mut answer)
                .map_err(|e| Failure::fatal(format!("cannot read the answer: {e}")))?;
            if read == 0 {
                return Err(Failure::fatal("stopped before every field was given"));
            }
            let answer = answer.trim();
            if !answer.is_empty() {
                return Ok(answer.to_owned());
            }
        }
    }

    fn finish(self) -> Result<(), Failure> {
        if self.missing.is_empty() {
            return Ok(());
        }
        Err(Failure::fatal(format!(
            "missing {} (or run it on a terminal to be asked)",
            self.missing.join(", ")
        )))
    }
}
