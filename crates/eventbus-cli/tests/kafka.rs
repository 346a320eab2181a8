//! `eventbus produce` and `eventbus consume` run as a user would, against
//! librdkafka's in-process mock cluster: the cluster lives in the test
//! process and the binary reaches it over loopback, so each test has its own
//! brokers and runs in seconds. What the binary produces is checked by
//! consuming it back with the binary.

mod support;

use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, DefaultProducerContext, Producer as _};
use serde_json::{Value, json};

use support::{
    RegistryStandIn, assert_no_panic, eventbus, example, example_json, schema_route, stderr, stdout,
};

const USER_SCHEMA_ID: u32 = 1;
const USER_KEY_SCHEMA_ID: u32 = 2;

/// A one-broker cluster with a one-partition `users` topic, so offsets
/// follow the input order.
fn cluster() -> MockCluster<'static, DefaultProducerContext> {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("users", 1, 1).unwrap();
    cluster
}

/// The command pointed at `cluster` in plain text.
fn against(cluster: &MockCluster<'_, DefaultProducerContext>, command: &str) -> Command {
    let mut eventbus = eventbus();
    eventbus
        .arg(command)
        .args(["--bootstrap-servers", &cluster.bootstrap_servers()])
        .args(["--security-protocol", "PLAINTEXT"]);
    eventbus
}

/// `produce` to `users` with the local user schema (no registry).
fn produce(cluster: &MockCluster<'_, DefaultProducerContext>) -> Command {
    let mut produce = against(cluster, "produce");
    produce
        .args(["--topic", "users"])
        .args(["--value-schema-id", &USER_SCHEMA_ID.to_string()])
        .args(["--value-schema", "examples/schemas/user.avsc"]);
    produce
}

/// `consume` of `users` from the beginning, schemas from `registry`.
fn consume(
    cluster: &MockCluster<'_, DefaultProducerContext>,
    registry: &RegistryStandIn,
) -> Command {
    let mut consume = against(cluster, "consume");
    consume
        .args(["--topic", "users", "--from-beginning"])
        .args(["--registry", &registry.url]);
    consume
}

fn user_registry() -> RegistryStandIn {
    RegistryStandIn::start(vec![
        schema_route(USER_SCHEMA_ID, "schemas/user.avsc"),
        schema_route(USER_KEY_SCHEMA_ID, "schemas/user-key.avsc"),
    ])
}

fn user(sequence: i64) -> Value {
    let mut user = example_json("records/user.json");
    user["sequenceNumber"] = sequence.into();
    user
}

/// A file of JSON lines under the test target's scratch directory.
fn events_file(name: &str, lines: &[String]) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn json_lines(output: &Output) -> Vec<Value> {
    stdout(output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn field(messages: &[Value], name: &str) -> Vec<Value> {
    messages.iter().map(|m| m[name].clone()).collect()
}

#[test]
fn produce_from_a_file_then_consume_shows_the_events_decoded() {
    let cluster = cluster();
    let registry = user_registry();
    let users: Vec<Value> = (1..=3).map(user).collect();
    let file = events_file(
        "three-users.jsonl",
        &users.iter().map(Value::to_string).collect::<Vec<_>>(),
    );

    let produced = produce(&cluster).arg("--file").arg(&file).output().unwrap();

    assert!(produced.status.success(), "{}", stderr(&produced));
    assert_eq!(
        stdout(&produced),
        "users [0] @ 0\nusers [0] @ 1\nusers [0] @ 2\n"
    );
    let summary = stderr(&produced);
    assert!(
        summary.starts_with("3 delivered, 0 failed in "),
        "{summary}"
    );
    assert!(summary.trim_end().ends_with("events/s)"), "{summary}");
    assert_eq!(summary.lines().count(), 1, "{summary}");

    let consumed = consume(&cluster, &registry)
        .args(["--max", "3"])
        .output()
        .unwrap();

    assert!(consumed.status.success(), "{}", stderr(&consumed));
    let messages = json_lines(&consumed);
    assert_eq!(field(&messages, "value"), users);
    assert_eq!(field(&messages, "offset"), [json!(0), json!(1), json!(2)]);
    assert_eq!(
        field(&messages, "partition"),
        [json!(0), json!(0), json!(0)]
    );
    assert!(messages.iter().all(|m| m["key"].is_null()), "{messages:?}");
    assert!(messages.iter().all(|m| m["headers"] == json!({})));
    assert!(messages.iter().all(|m| m["timestamp"].is_i64()));
    // --max stops the reader without waiting out the idle timeout.
    assert!(stderr(&consumed).is_empty(), "{}", stderr(&consumed));
    // The client caches: one schema fetch for three messages.
    assert_eq!(registry.requests(), ["/schemas/ids/1"]);
}

#[test]
fn an_invalid_line_is_reported_and_the_others_are_delivered() {
    let cluster = cluster();
    let registry = user_registry();
    let mut invalid = user(2);
    invalid["dateOfBirth"] = "the twelfth".into();
    let stdin = format!("{}\n\n{invalid}\nnot json\n{}\n", user(1), user(3));

    let produced = produce(&cluster).write_stdin(stdin).output().unwrap();

    assert_eq!(produced.status.code(), Some(1));
    assert_eq!(stdout(&produced), "users [0] @ 0\nusers [0] @ 1\n");
    let stderr_text = stderr(&produced);
    assert!(
        stderr_text.contains("eventbus: line 3: invalid record: dateOfBirth: "),
        "{stderr_text}"
    );
    assert!(
        stderr_text.contains("eventbus: line 4: not a JSON document: "),
        "{stderr_text}"
    );
    assert!(
        stderr_text.contains("2 delivered, 2 failed in "),
        "{stderr_text}"
    );
    assert!(
        stderr_text
            .trim_end()
            .ends_with("eventbus: 2 of 4 events failed"),
        "{stderr_text}"
    );
    assert_no_panic(&produced);

    // Without --max the reader stops once the topic stays quiet: only the
    // two valid events are there.
    let consumed = consume(&cluster, &registry)
        .args(["--timeout", "2"])
        .output()
        .unwrap();
    assert!(consumed.status.success(), "{}", stderr(&consumed));
    assert_eq!(field(&json_lines(&consumed), "value"), [user(1), user(3)]);
    assert!(
        stderr(&consumed).contains("no new message for 2 s; stopping after 2 messages"),
        "{}",
        stderr(&consumed)
    );
}

#[test]
fn envelopes_carry_keys_and_headers_through_a_round_trip() {
    let cluster = cluster();
    let registry = user_registry();
    let envelopes = [
        json!({"key": 7, "value": user(1), "headers": {"source": "test"}}),
        json!({"value": user(2), "headers": {"bytes": {"base64": "AP8="}, "n": ["a", "b"]}}),
    ];
    let file = events_file(
        "envelopes.jsonl",
        &envelopes.iter().map(Value::to_string).collect::<Vec<_>>(),
    );

    let produced = produce(&cluster)
        .args(["--key-schema-id", &USER_KEY_SCHEMA_ID.to_string()])
        .args(["--key-schema", "examples/schemas/user-key.avsc"])
        .args(["--envelope", "--header", "origin=cli"])
        .arg("--file")
        .arg(&file)
        .output()
        .unwrap();
    assert!(produced.status.success(), "{}", stderr(&produced));

    let consumed = consume(&cluster, &registry)
        .args(["--max", "2"])
        .output()
        .unwrap();
    assert!(consumed.status.success(), "{}", stderr(&consumed));
    let messages = json_lines(&consumed);
    assert_eq!(field(&messages, "key"), [json!(7), Value::Null]);
    assert_eq!(field(&messages, "value"), [user(1), user(2)]);
    assert_eq!(
        field(&messages, "headers"),
        [
            json!({"origin": "cli", "source": "test"}),
            json!({"origin": "cli", "bytes": {"base64": "AP8="}, "n": ["a", "b"]}),
        ]
    );

    // consume's lines are envelopes themselves: sent again, they arrive the same.
    let again = produce(&cluster)
        .args(["--key-schema-id", &USER_KEY_SCHEMA_ID.to_string()])
        .args(["--key-schema", "examples/schemas/user-key.avsc"])
        .arg("--envelope")
        .write_stdin(consumed.stdout.clone())
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(stdout(&again), "users [0] @ 2\nusers [0] @ 3\n");
    let all = consume(&cluster, &registry)
        .args(["--max", "4"])
        .output()
        .unwrap();
    let all = json_lines(&all);
    for field_name in ["key", "value", "headers"] {
        assert_eq!(
            field(&all[2..], field_name),
            field(&messages, field_name),
            "{field_name}"
        );
    }
}

#[test]
fn quiet_prints_only_the_summary() {
    let cluster = cluster();

    let output = produce(&cluster)
        .args(["--quiet", "--value", &user(1).to_string()])
        .output()
        .unwrap();

    assert!(output.status.success(), "{}", stderr(&output));
    assert!(output.stdout.is_empty(), "{}", stdout(&output));
    let stderr = stderr(&output);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("1 delivered, 0 failed in "), "{stderr}");
}

#[test]
fn a_broker_that_is_down_fails_the_events_instead_of_hanging() {
    let cluster = cluster();
    cluster.broker_down(1).unwrap();
    let lines: Vec<String> = (1..=3).map(|i| user(i).to_string()).collect();

    let started = Instant::now();
    let output = produce(&cluster)
        .args(["--timeout", "2", "--message-timeout", "1"])
        .write_stdin(lines.join("\n"))
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();

    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "{}", stdout(&output));
    let stderr = stderr(&output);
    assert!(
        stderr.contains("eventbus: line 1: delivery failed (retriable): "),
        "{stderr}"
    );
    assert!(stderr.contains("0 delivered, 3 failed in "), "{stderr}");
    assert!(
        stderr
            .trim_end()
            .ends_with("eventbus: 3 of 3 events failed"),
        "{stderr}"
    );
    assert_no_panic(&output);
}

#[test]
fn close_reports_what_is_undelivered_when_the_timeout_ends_first() {
    let cluster = cluster();
    cluster.broker_down(1).unwrap();

    // The message timeout stays at its two-minute default, so only
    // --timeout stops the wait.
    let started = Instant::now();
    let output = produce(&cluster)
        .args(["--timeout", "1", "--value", &user(1).to_string()])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();

    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr(&output);
    assert!(
        stderr.contains("eventbus: --timeout 1 s passed with 1 of 1 events undelivered"),
        "{stderr}"
    );
    assert!(stderr.contains("eventbus: delivery failed"), "{stderr}");
    assert!(
        stderr
            .trim_end()
            .ends_with("eventbus: 1 of 1 events failed"),
        "{stderr}"
    );
}

#[test]
fn consume_shows_unframed_bytes_as_hex_and_repeated_headers_as_arrays() {
    let cluster = cluster();
    let registry = user_registry();
    let framed =
        eventbus::Serializer::from_schema_text(USER_SCHEMA_ID, &example("schemas/user.avsc"))
            .unwrap()
            .encode(&user(1))
            .unwrap();
    let producer: BaseProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", cluster.bootstrap_servers())
        .create()
        .unwrap();
    let headers = rdkafka::message::OwnedHeaders::new()
        .insert(rdkafka::message::Header {
            key: "trace",
            value: Some("a"),
        })
        .insert(rdkafka::message::Header {
            key: "trace",
            value: Some("b"),
        });
    producer
        .send(
            BaseRecord::to("users")
                .key("plain")
                .payload(&framed)
                .headers(headers),
        )
        .unwrap();
    producer
        .send(
            BaseRecord::<str, [u8]>::to("users").payload(&[0x00, 0x00, 0x00, 0x00, 0x09, 0x02][..]),
        )
        .unwrap();
    producer.flush(Duration::from_secs(10)).unwrap();

    let consumed = consume(&cluster, &registry)
        .args(["--max", "2"])
        .output()
        .unwrap();

    // The second value names schema id 9, which the registry does not know.
    assert_eq!(consumed.status.code(), Some(1));
    let messages = json_lines(&consumed);
    assert_eq!(messages[0]["key"], json!({"raw_hex": "706c61696e"}));
    assert_eq!(messages[0]["value"], user(1));
    assert_eq!(messages[0]["headers"], json!({"trace": ["a", "b"]}));
    assert_eq!(messages[1]["key"], Value::Null);
    assert_eq!(messages[1]["value"]["raw_hex"], "000000000902");
    let error = messages[1]["value"]["error"].as_str().unwrap();
    assert!(error.contains("schema id 9"), "{error}");
    let stderr = stderr(&consumed);
    assert!(
        stderr.contains("eventbus: partition 0 offset 1: value: schema not found"),
        "{stderr}"
    );
    assert!(
        stderr
            .trim_end()
            .ends_with("eventbus: 1 of 2 messages could not be decoded"),
        "{stderr}"
    );
}

#[test]
fn consume_without_a_registry_says_what_to_set() {
    let cluster = cluster();

    let output = against(&cluster, "consume")
        .args(["--topic", "users"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr(&output);
    assert_eq!(
        stderr.trim_end(),
        "eventbus: consume needs a schema registry: give --registry URL or set \
         SCHEMA_REGISTRY_URL"
    );
}
