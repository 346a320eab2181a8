//! `eventbus consume`: read a topic back for checking and debugging, one
//! JSON line per message. This module owns when to stop and the JSON shape
//! of a message; reading is the core's [`TopicReader`] (which joins no
//! consumer group and commits nothing), and choosing the schema for each key
//! and value is the `decode` command's registry reader.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use clap::Args;
use eventbus::reader::{ReadMessage, StartAt, TopicReader};
use eventbus::wire;
use serde_json::{Map, Value, json};

use crate::decode::Reader;
use crate::envelope::headers_to_json;
use crate::failure::Failure;
use crate::input::report;
use crate::output::{to_hex, write_json_line};
use crate::settings::{BrokerArgs, RegistryArgs, parse_seconds};

/// How long opening the topic may take when `--timeout 0` sets no limit.
const OPEN_TIMEOUT: Duration = Duration::from_secs(30);

/// How long one poll blocks when there is no idle limit.
const POLL_INTERVAL: Duration = Duration::from_secs(1);

const EXAMPLES: &str = r#"Examples:
  # What arrives on a topic from now on, until 10 s pass without a message:
  eventbus consume --topic users

  # The first three messages of the topic:
  eventbus consume --topic users --from-beginning --max 3

  # Everything until Ctrl-C, values only:
  eventbus consume --topic users --timeout 0 | jq -c .value

Output is one JSON document per message:
  {"partition":0,"offset":41,"timestamp":1764511512345,"key":42,
   "value":{...},"headers":{"source":"backfill"}}
The timestamp is in milliseconds since the epoch (null if the broker gave
none). Key and value are each decoded with the schema whose id their first
five bytes carry, fetched from the registry once per id; a missing key or
value is null. Bytes that are
not Confluent-framed show as {"raw_hex": "..."}, and framed bytes that cannot
be decoded as {"raw_hex": "...", "error": "..."}, reported on stderr too. A
header value is a string when it is UTF-8 text and {"base64": "..."}
otherwise; a header name that occurs more than once holds an array of its
values. The lines can be fed to `eventbus produce --envelope`.

The reader joins no consumer group and commits no offsets, so it never
disturbs other consumers. It stops after --max messages, or once --timeout
seconds pass without a new message (--timeout 0: never; stop with Ctrl-C).
The exit code is 1 if any key or value could not be decoded.

Brokers: EB_BOOTSTRAP_SERVERS and EB_SECURITY_PROTOCOL, or the flags."#;

/// Read messages from a topic and print each as one line of JSON, decoded
/// with the schema each names by id
#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct ConsumeArgs {
    /// The topic to read
    #[arg(long, value_name = "TOPIC")]
    topic: String,

    /// Start at the oldest message of each partition instead of the newest
    #[arg(long)]
    from_beginning: bool,

    /// Stop after this many messages
    #[arg(long, value_name = "N")]
    max: Option<u64>,

    /// Stop once this many seconds pass without a new message; 0 waits forever
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_seconds)]
    timeout: Duration,

    #[command(flatten)]
    broker: BrokerArgs,

    #[command(flatten)]
    registry: RegistryArgs,
}

pub fn run(args: ConsumeArgs) -> Result<(), Failure> {
    let config = args.broker.config(&args.registry)?;
    let decoder = Reader::Registry(args.registry.required_client("consume")?);
    let start = if args.from_beginning {
        StartAt::Beginning
    } else {
        StartAt::End
    };
    let idle_limit = (!args.timeout.is_zero()).then_some(args.timeout);
    let reader = TopicReader::open(
        &config,
        &args.topic,
        start,
        idle_limit.unwrap_or(OPEN_TIMEOUT),
    )?;

    let mut out = io::stdout().lock();
    let (mut read, mut undecodable) = (0u64, 0usize);
    let mut last_message = Instant::now();
    let mut last_error = None;
    while args.max.is_none_or(|max| read < max) {
        let poll = match idle_limit {
            Some(limit) => {
                let left = limit.saturating_sub(last_message.elapsed());
                if left.is_zero() {
                    report(&format!(
                        "no new message for {} s; stopping after {read} messages",
                        limit.as_secs_f64()
                    ));
                    break;
                }
                left
            }
            None => POLL_INTERVAL,
        };
        let message = match reader.next(poll) {
            Ok(Some(message)) => message,
            Ok(None) => continue,
            Err(err) => {
                // librdkafka reports broker trouble here and retries by
                // itself; say so once, not on every poll.
                let text = err.to_string();
                if last_error.as_ref() != Some(&text) {
                    report(&text);
                    last_error = Some(text);
                }
                continue;
            }
        };
        last_message = Instant::now();
        last_error = None;
        read += 1;
        let (line, decoded) = render(&decoder, &message)?;
        if !decoded {
            undecodable += 1;
        }
        write_json_line(&mut out, &line).map_err(Failure::writing_output)?;
    }
    out.flush().map_err(Failure::writing_output)?;

    if undecodable > 0 {
        return Err(Failure::fatal(format!(
            "{undecodable} of {read} messages could not be decoded"
        )));
    }
    Ok(())
}

/// One message as the JSON line described in the help, and whether its key
/// and value could both be decoded.
fn render(decoder: &Reader, message: &ReadMessage) -> Result<(Value, bool), Failure> {
    let mut decoded_all = true;
    let mut line = Map::new();
    line.insert("partition".into(), message.partition.into());
    line.insert("offset".into(), message.offset.into());
    line.insert("timestamp".into(), message.timestamp.into());
    for (field, bytes) in [("key", &message.key), ("value", &message.value)] {
        let decoded = match bytes {
            None => Value::Null,
            Some(bytes) => match decode_or_show(decoder, bytes)? {
                Ok(record) => record,
                Err(problem) => {
                    decoded_all = false;
                    report(&format!(
                        "partition {} offset {}: {field}: {problem}",
                        message.partition, message.offset
                    ));
                    json!({ "raw_hex": to_hex(bytes), "error": problem })
                }
            },
        };
        line.insert(field.into(), decoded);
    }
    line.insert("headers".into(), headers_to_json(&message.headers));
    Ok((Value::Object(line), decoded_all))
}

/// The decoded record, or `{"raw_hex"}` for bytes that are not framed at
/// all; the inner error is why framed bytes could not be read (an unknown
/// schema id, a datum that does not fit its schema). A registry that cannot
/// be reached stops the command instead, as in `decode`.
fn decode_or_show(decoder: &Reader, bytes: &[u8]) -> Result<Result<Value, String>, Failure> {
    if wire::split(bytes).is_err() {
        return Ok(Ok(json!({ "raw_hex": to_hex(bytes) })));
    }
    match decoder.decode(bytes) {
        Ok(record) => Ok(Ok(record)),
        Err(Failure::Input(problem)) => Ok(Err(problem)),
        Err(stop) => Err(stop),
    }
}
