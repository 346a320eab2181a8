//! `eventbus produce`: JSON events in, Kafka messages out, one delivery
//! line per event. This module owns where events come from (one argument, a
//! file or stdin; bare values or envelopes), keeping the delivery handles in
//! input order, the time limits, and the report. Validation, encoding and
//! delivery are the core's [`Producer`].
//!
//! Events are sent without waiting for each delivery: the handles queue up
//! and are waited for oldest first, so the output keeps the input order while
//! librdkafka batches freely.

use std::collections::VecDeque;
use std::fmt::Display;
use std::fs::File;
use std::io::{self, BufReader, IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use eventbus::{DeliveryHandle, DeliveryReport, Producer, TopicBinding};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

use crate::envelope::Envelope;
use crate::failure::Failure;
use crate::input::{Lines, reading_stdin, report, stdin_lines};
use crate::settings::{BrokerArgs, RegistryArgs, parse_seconds};

/// More undelivered events than this and the oldest is waited for before
/// the next is sent, so memory stays bounded however long the input.
const MAX_OUTSTANDING: usize = 10_000;

/// The least time `close` gets, even once `--timeout` has run out.
const CLOSE_GRACE: Duration = Duration::from_millis(200);

/// How long the reports of purged messages may take once `close` gave up.
const PURGE_REPORT_WAIT: Duration = Duration::from_secs(5);

/// How often the progress bar's counts are refreshed.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

const EXAMPLES: &str = r#"Examples:
  # One event, with local schema copies (no registry needed):
  eventbus produce --topic users --value-schema-id 12 --value-schema examples/schemas/user.avsc \
    --value '{"name":"Newbie","company":"Ad Hoc","dateOfBirth":"2000-07-26","sequenceNumber":1}'

  # One event a line from a file, each with the same key and a header:
  eventbus produce --topic users --value-schema-id 12 --key-schema-id 13 --key 42 \
    --header source=backfill --file events.jsonl

  # Keys and headers per event: each line is an envelope.
  echo '{"key": 42, "value": {...}, "headers": {"source": "backfill"}}' |
    eventbus produce --topic users --value-schema-id 12 --key-schema-id 13 --envelope

Input:
  --value JSON      one event
  --file FILE       one event per non-empty line of FILE (a progress bar shows
                    on a terminal)
  neither           one event per non-empty line of stdin

  Each line is the event's value, or with --envelope an object
  {"key": ..., "value": ..., "headers": {"name": "text"}}. A missing or null
  key sends no key; a header value is text, {"base64": "..."} for other bytes,
  or an array of those for a repeated name. The partition, offset and
  timestamp fields that `eventbus consume` prints are ignored, so its output
  can be sent again. --header flags are added to every event's headers.

Output:
  One line per delivered event on stdout, in input order:
    users [0] @ 41        (topic, [partition], @ offset)
  and a summary on stderr:
    3 delivered, 0 failed in 0.42 s (7.1 events/s)
  --quiet prints the summary only.

Schemas come from the registry (--registry or SCHEMA_REGISTRY_URL) by id; a
local copy given with --value-schema or --key-schema is checked against it,
and without a registry the local copies are used as they are.

A line that is not valid JSON or does not match its schema is reported on
stderr with its line number and field path and is not sent; the others are.
Events are not waited for one by one: all are sent, then their deliveries are
awaited for up to --timeout seconds, after which what is still undelivered is
reported failed. The exit code is 1 if any event failed.

Brokers: EB_BOOTSTRAP_SERVERS and EB_SECURITY_PROTOCOL, or the flags."#;

/// Validate JSON events against pinned schemas and produce them to a topic
#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct ProduceArgs {
    /// The topic to produce to
    #[arg(long, value_name = "TOPIC")]
    topic: String,

    /// The schema id of the topic's values, as the Event Bus team assigned it
    #[arg(long, value_name = "ID")]
    value_schema_id: u32,

    /// Local copy of the value schema; with a registry too, checked against it
    #[arg(long, value_name = "FILE.avsc")]
    value_schema: Option<PathBuf>,

    /// The schema id of the topic's keys; without it, events have no key
    #[arg(long, value_name = "ID")]
    key_schema_id: Option<u32>,

    /// Local copy of the key schema
    #[arg(long, value_name = "FILE.avsc", requires = "key_schema_id")]
    key_schema: Option<PathBuf>,

    /// The key of every event, as JSON
    #[arg(
        long,
        value_name = "JSON",
        requires = "key_schema_id",
        conflicts_with = "envelope"
    )]
    key: Option<String>,

    /// A header for every event; repeat for more
    #[arg(long = "header", value_name = "NAME=VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,

    /// One event's value as JSON; without it or --file, values are read from stdin
    #[arg(long, value_name = "JSON", conflicts_with = "file")]
    value: Option<String>,

    /// Read events from FILE, one per non-empty line
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,

    /// Each line is {"key": ..., "value": ..., "headers": {...}} instead of a bare value
    #[arg(long, conflicts_with = "value")]
    envelope: bool,

    /// Print only the summary, not a line per delivered event
    #[arg(long, short)]
    quiet: bool,

    /// Seconds to wait for deliveries after the last event is sent
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_seconds)]
    timeout: Duration,

    /// Seconds one event may wait for the brokers' acknowledgement, retries
    /// included [default: 120]
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    message_timeout: Option<Duration>,

    #[command(flatten)]
    broker: BrokerArgs,

    #[command(flatten)]
    registry: RegistryArgs,
}

fn parse_header(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("{text:?} is not NAME=VALUE")),
    }
}

/// An event sent and not yet settled, with the input line it came from.
struct Pending {
    line: Option<usize>,
    handle: DeliveryHandle,
}

pub fn run(args: ProduceArgs) -> Result<(), Failure> {
    let key = match &args.key {
        Some(key) => Some(
            serde_json::from_str::<Value>(key)
                .map_err(|err| Failure::fatal(format!("--key is not JSON: {err}")))?,
        ),
        None => None,
    };
    // The file is opened before the producer connects, so a wrong path
    // fails at once.
    let file = match &args.file {
        Some(path) => Some(
            File::open(path)
                .map_err(|err| Failure::fatal(format!("cannot read {}: {err}", path.display())))?,
        ),
        None => None,
    };
    let producer = build_producer(&args)?;
    let mut tally = Tally::new(args.quiet);

    // Whatever happens while sending, the producer is closed: dropping it
    // would purge what is queued without a word.
    let sent = send_all(&args, file, &producer, key.as_ref(), &mut tally);
    let pending = match sent {
        Ok(pending) => pending,
        Err(stop) => {
            let _ = producer.close(args.timeout);
            return Err(stop);
        }
    };
    settle_all(&producer, pending, args.timeout, &mut tally);
    tally.finish()
}

fn build_producer(args: &ProduceArgs) -> Result<Producer, Failure> {
    let config = args.broker.config(&args.registry)?;
    let registry = args.registry.client()?;
    let key_schema_missing = args.key_schema_id.is_some() && args.key_schema.is_none();
    if registry.is_none() && (args.value_schema.is_none() || key_schema_missing) {
        return Err(Failure::fatal(
            "no schema source: give --value-schema FILE.avsc (and --key-schema with \
             --key-schema-id), or --registry URL (or set SCHEMA_REGISTRY_URL)",
        ));
    }

    let mut binding = TopicBinding::new(&args.topic, args.value_schema_id);
    if let Some(path) = &args.value_schema {
        binding = binding.value_schema_file(path);
    }
    if let Some(key_schema_id) = args.key_schema_id {
        binding = binding.key_schema_id(key_schema_id);
    }
    if let Some(path) = &args.key_schema {
        binding = binding.key_schema_file(path);
    }
    let mut builder = Producer::builder(config).topic(binding);
    if let Some(registry) = registry {
        builder = builder.registry(registry);
    }
    if let Some(timeout) = args.message_timeout {
        builder = builder.message_timeout(timeout);
    }
    Ok(builder.build()?)
}

/// Sends every event of the input and returns the deliveries still pending,
/// oldest first.
fn send_all(
    args: &ProduceArgs,
    file: Option<File>,
    producer: &Producer,
    key: Option<&Value>,
    tally: &mut Tally,
) -> Result<VecDeque<Pending>, Failure> {
    let mut pending = VecDeque::new();
    let mut send = |line: Option<usize>, text: &[u8], tally: &mut Tally| {
        tally.events += 1;
        match send_one(args, producer, key, text) {
            Ok(handle) => pending.push_back(Pending { line, handle }),
            Err(problem) => tally.failed(line, problem),
        }
        while pending.len() > MAX_OUTSTANDING {
            if let Some(oldest) = pending.pop_front() {
                let outcome = oldest.handle.wait(None);
                tally.settled(oldest.line, outcome);
            }
        }
        pending.len()
    };

    if let Some(value) = &args.value {
        send(None, value.trim().as_bytes(), tally);
    } else if let (Some(file), Some(path)) = (file, &args.file) {
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        tally.show_progress(size);
        let mut lines = Lines::new(BufReader::new(file));
        let reading = |err| Failure::fatal(format!("cannot read {}: {err}", path.display()));
        while let Some((number, line)) = lines.next_line().map_err(reading)? {
            let outstanding = send(Some(number), line, tally);
            tally.progress(lines.bytes_read(), outstanding);
        }
    } else {
        let plural = if args.envelope { "envelopes" } else { "values" };
        let mut lines = stdin_lines(plural);
        while let Some((number, line)) = lines.next_line().map_err(reading_stdin)? {
            send(Some(number), line, tally);
        }
    }
    Ok(pending)
}

/// Parses one line and hands it to the producer; the error is the line's problem.
fn send_one(
    args: &ProduceArgs,
    producer: &Producer,
    key: Option<&Value>,
    text: &[u8],
) -> Result<DeliveryHandle, String> {
    let envelope = if args.envelope {
        Envelope::parse(text)?
    } else {
        let value =
            serde_json::from_slice(text).map_err(|err| format!("not a JSON document: {err}"))?;
        Envelope {
            key: None,
            value,
            headers: Vec::new(),
        }
    };
    // --key and --envelope exclude each other, so at most one of these is set.
    let key = envelope.key.as_ref().or(key);
    if key.is_some() && args.key_schema_id.is_none() {
        return Err("the envelope has a key but no --key-schema-id was given".to_string());
    }

    let headers: Vec<(&str, &[u8])> = args
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()))
        .chain(
            envelope
                .headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_slice())),
        )
        .collect();
    producer
        .produce(&args.topic, key, &envelope.value, &headers)
        .map_err(|err| err.to_string())
}

/// Waits for the pending deliveries in order for up to `timeout`, then
/// closes the producer, which reports what is still undelivered as failed.
fn settle_all(
    producer: &Producer,
    mut pending: VecDeque<Pending>,
    timeout: Duration,
    tally: &mut Tally,
) {
    let deadline = Instant::now() + timeout;
    tally.waiting(pending.len());
    while let Some(oldest) = pending.front() {
        let left = deadline.saturating_duration_since(Instant::now());
        let outcome = oldest.handle.wait(Some(left));
        // A wait that ran out of time leaves the handle unresolved; a
        // delivery that failed by timing out resolves it.
        if oldest.handle.try_result().is_none() {
            break;
        }
        if let Some(oldest) = pending.pop_front() {
            tally.settled(oldest.line, outcome);
        }
    }

    if !pending.is_empty() {
        tally.note(&format!(
            "--timeout {} s passed with {} of {} events undelivered",
            timeout.as_secs_f64(),
            pending.len(),
            tally.events
        ));
    }
    // Close purges whatever is undelivered and reports it through the
    // handles below, so its own error adds nothing. It gets a moment even
    // past the deadline: reports that were already on their way arrive then,
    // rather than counting as purged.
    let left = deadline.saturating_duration_since(Instant::now());
    let _ = producer.close(left.max(CLOSE_GRACE));
    for rest in pending {
        let outcome = rest.handle.wait(Some(PURGE_REPORT_WAIT));
        tally.settled(rest.line, outcome);
    }
}

/// Counts events and writes the delivery lines, failures and summary,
/// keeping the progress bar out of their way.
struct Tally {
    quiet: bool,
    stdout_open: bool,
    progress: ProgressBar,
    last_progress: Instant,
    started: Instant,
    events: usize,
    delivered: usize,
    failed: usize,
}

impl Tally {
    fn new(quiet: bool) -> Self {
        let now = Instant::now();
        Tally {
            quiet,
            stdout_open: true,
            progress: ProgressBar::hidden(),
            last_progress: now,
            started: now,
            events: 0,
            delivered: 0,
            failed: 0,
        }
    }

    /// A bar over the `size` bytes of an input file, drawn only when stderr
    /// is a terminal so that logs and pipes never see it.
    fn show_progress(&mut self, size: u64) {
        if !io::stderr().is_terminal() {
            return;
        }
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}% {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        self.progress = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr())
            .with_style(style);
    }

    fn progress(&mut self, bytes_read: u64, outstanding: usize) {
        if self.progress.is_hidden() || self.last_progress.elapsed() < PROGRESS_INTERVAL {
            return;
        }
        self.last_progress = Instant::now();
        self.progress.set_position(bytes_read);
        self.progress.set_message(format!(
            "{} sent ({:.0} events/s), {} awaiting delivery",
            self.events,
            self.rate(self.events),
            outstanding
        ));
    }

    fn waiting(&mut self, outstanding: usize) {
        if let Some(length) = self.progress.length() {
            self.progress.set_position(length);
        }
        self.progress.set_message(format!(
            "{} sent, {outstanding} awaiting delivery",
            self.events
        ));
    }

    fn settled(&mut self, line: Option<usize>, outcome: eventbus::Result<DeliveryReport>) {
        match outcome {
            Ok(report) => self.delivered(&report),
            Err(err) => self.failed(line, err),
        }
    }

    fn delivered(&mut self, report: &DeliveryReport) {
        self.delivered += 1;
        if self.quiet || !self.stdout_open {
            return;
        }
        let written = self.progress.suspend(|| {
            writeln!(
                io::stdout(),
                "{} [{}] @ {}",
                report.topic,
                report.partition,
                report.offset
            )
        });
        if written.is_err() {
            // Whoever read stdout went away; the events still go out and
            // the summary still says how they fared.
            self.stdout_open = false;
        }
    }

    fn failed(&mut self, line: Option<usize>, problem: impl Display) {
        self.failed += 1;
        match line {
            Some(line) => self.note(&format!("line {line}: {problem}")),
            None => self.note(&problem),
        }
    }

    fn note(&self, message: &impl Display) {
        self.progress.suspend(|| report(&message.to_string()));
    }

    fn rate(&self, count: usize) -> f64 {
        let seconds = self.started.elapsed().as_secs_f64();
        if seconds > 0.0 {
            count as f64 / seconds
        } else {
            0.0
        }
    }

    /// Writes the summary; the command fails if any event did.
    fn finish(self) -> Result<(), Failure> {
        self.progress.finish_and_clear();
        let _ = writeln!(
            io::stderr(),
            "{} delivered, {} failed in {:.2} s ({:.1} events/s)",
            self.delivered,
            self.failed,
            self.started.elapsed().as_secs_f64(),
            self.rate(self.delivered)
        );
        if self.failed > 0 {
            return Err(Failure::fatal(format!(
                "{} of {} events failed",
                self.failed, self.events
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_split_at_the_first_equals_sign() {
        assert_eq!(
            parse_header("trace=a=b").unwrap(),
            ("trace".to_string(), "a=b".to_string())
        );
        assert_eq!(
            parse_header("empty=").unwrap(),
            ("empty".to_string(), String::new())
        );
        assert!(parse_header("no-value").is_err());
        assert!(parse_header("=value").is_err());
    }
}
