//! Producing to a real Kafka broker with schemas from a real registry, and
//! reading the events back. Run by `cargo xtask test`, which starts the
//! local stack; ignored by a plain `cargo test`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use eventbus::reader::{StartAt, TopicReader};
use eventbus::{ErrorKind, Producer, RegistryClient, TopicBinding};
use eventbus_stack_tests::{
    Relay, appointment, config, example, example_path, init_logs, logs_of, register, stack,
    unique_topic,
};
use serde_json::{Value, json};

const STACK: &str = "needs the local stack: run through `cargo xtask test`";

/// Registers the example event's value and key schemas for `topic`.
fn bind(topic: &str, value: &str, key: &str) -> TopicBinding {
    let value_id = register(&format!("{topic}-value"), &example(value));
    let key_id = register(&format!("{topic}-key"), &example(key));
    TopicBinding::new(topic, value_id).key_schema_id(key_id)
}

fn user(sequence: i64) -> Value {
    json!({"name": "Newbie", "company": "Ad Hoc", "dateOfBirth": "2000-07-26",
           "sequenceNumber": sequence})
}

/// Reads `topic` from the beginning until `count` messages have arrived or
/// nothing new comes for a few seconds (pass `usize::MAX` to read all).
fn read_all(topic: &str, count: usize) -> Vec<eventbus::reader::ReadMessage> {
    let reader = TopicReader::open(
        &config(),
        topic,
        StartAt::Beginning,
        Duration::from_secs(10),
    )
    .expect("open reader");
    let mut messages = Vec::new();
    let mut quiet_since = Instant::now();
    while messages.len() < count && quiet_since.elapsed() < Duration::from_secs(5) {
        if let Some(message) = reader.next(Duration::from_millis(500)).expect("read") {
            messages.push(message);
            quiet_since = Instant::now();
        }
    }
    messages
}

#[test]
#[ignore = "needs the local stack: run through `cargo xtask test`"]
fn both_example_events_round_trip_with_keys_and_headers() {
    init_logs();
    let users = unique_topic("users");
    let appointments = unique_topic("appointments");
    let producer = Producer::builder(config())
        .topic(bind(&users, "schemas/user.avsc", "schemas/user-key.avsc"))
        .topic(bind(
            &appointments,
            "schemas/appointment.avsc",
            "schemas/appointment-key.avsc",
        ))
        .build()
        .expect(STACK);

    let user = user(1);
    let appointment: Value = serde_json::from_str(&example("records/appointment.json")).unwrap();
    let headers: [(&str, &[u8]); 2] = [("source", b"e2e"), ("trace-id", &[0, 159, 255])];
    let sent = [
        (users.as_str(), json!(1), &user),
        (appointments.as_str(), json!("A-2026-000123"), &appointment),
    ];
    let handles: Vec<_> = sent
        .iter()
        .map(|(topic, key, value)| {
            producer
                .produce(topic, Some(key), *value, &headers)
                .unwrap()
        })
        .collect();
    for handle in handles {
        let report = handle.wait(Some(Duration::from_secs(30))).unwrap();
        assert!(report.offset >= 0);
    }
    producer.close(Duration::from_secs(10)).unwrap();

    // Decode what the broker holds with schemas fetched by the ids in the
    // messages, as any consumer would.
    let registry = RegistryClient::new(config().registry().unwrap()).unwrap();
    let decode = |bytes: &[u8]| {
        let (id, _) = eventbus::wire::split(bytes).unwrap();
        eventbus::Serializer::from_compiled(id, registry.schema_by_id(id).unwrap())
            .decode(bytes)
            .unwrap()
    };
    for (topic, key, value) in sent {
        let messages = read_all(topic, 1);
        assert_eq!(messages.len(), 1, "{topic}");
        let message = &messages[0];
        assert_eq!(&decode(message.value.as_deref().unwrap()), value);
        assert_eq!(decode(message.key.as_deref().unwrap()), key);
        let headers: Vec<(String, Vec<u8>)> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_vec()))
            .collect();
        assert_eq!(message.headers, headers);
    }
}

#[test]
#[ignore = "needs the local stack: run through `cargo xtask test`"]
fn a_serde_struct_is_read_back_as_its_json() {
    init_logs();
    let topic = unique_topic("typed-appointments");
    let producer = Producer::builder(config())
        .topic(bind(
            &topic,
            "schemas/appointment.avsc",
            "schemas/appointment-key.avsc",
        ))
        .build()
        .expect(STACK);
    let typed = appointment();
    let report = producer
        .produce_serialize(&topic, Some(typed.appointment_id.as_str()), &typed, &[])
        .unwrap()
        .wait(Some(Duration::from_secs(30)))
        .unwrap();
    assert_eq!(report.topic, topic);

    // Refused before anything is queued (only one message is read back
    // below), naming the field.
    let mut bad = typed.clone();
    bad.start_time = "half past three".into();
    let err = producer
        .produce_serialize(&topic, Some("A-1"), &bad, &[])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRecord);
    assert_eq!(err.field_path(), Some("startTime"));
    producer.close(Duration::from_secs(10)).unwrap();

    let registry = RegistryClient::new(config().registry().unwrap()).unwrap();
    let messages = read_all(&topic, usize::MAX);
    assert_eq!(messages.len(), 1);
    let value = messages[0].value.as_deref().unwrap();
    let (id, _) = eventbus::wire::split(value).unwrap();
    let decoded = eventbus::Serializer::from_compiled(id, registry.schema_by_id(id).unwrap())
        .decode(value)
        .unwrap();
    let expected: Value = serde_json::from_str(&example("records/appointment.json")).unwrap();
    assert_eq!(decoded, expected);
}

#[test]
#[ignore = "needs the local stack: run through `cargo xtask test`"]
fn an_unknown_schema_id_fails_start_up_naming_the_id() {
    let err = Producer::builder(config())
        .topic(TopicBinding::new(unique_topic("nowhere"), 987_654))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SchemaNotFound);
    assert!(err.to_string().contains("schema id 987654"), "{err}");
}

#[test]
#[ignore = "needs the local stack: run through `cargo xtask test`"]
fn producing_goes_on_from_the_cache_after_the_registry_stops() {
    init_logs();
    let topic = unique_topic("cached");
    let binding = bind(&topic, "schemas/user.avsc", "schemas/user-key.avsc");
    let relay = Relay::start(&std::env::var("SCHEMA_REGISTRY_URL").unwrap());
    let mut settings = config().registry().unwrap().clone();
    settings.urls = vec![relay.url.clone()];
    let producer = Producer::builder(config())
        .registry(RegistryClient::new(&settings).unwrap())
        .topic(binding)
        .build()
        .unwrap();

    relay.stop();
    let handles: Vec<_> = (0..100)
        .map(|i| {
            producer
                .produce(&topic, Some(&json!(i)), &user(i), &[])
                .unwrap()
        })
        .collect();
    for handle in handles {
        handle.wait(Some(Duration::from_secs(30))).unwrap();
    }
    producer.close(Duration::from_secs(10)).unwrap();
    assert_eq!(read_all(&topic, 100).len(), 100);
}

#[test]
#[ignore = "needs the local stack: run through `cargo xtask test`"]
fn a_registry_down_at_start_up_needs_a_local_copy() {
    let topic = unique_topic("offline");
    let value_id = register(&format!("{topic}-value"), &example("schemas/user.avsc"));
    let relay = Relay::start(&std::env::var("SCHEMA_REGISTRY_URL").unwrap());
    relay.stop();
    let mut settings = config().registry().unwrap().clone();
    settings.urls = vec![relay.url.clone()];
    settings.retry.total_time = Duration::from_millis(500);
    let registry = RegistryClient::new(&settings).unwrap();

    let (producer, logs) = logs_of(|| {
        Producer::builder(config())
            .registry(registry.clone())
            .topic(
                TopicBinding::new(&topic, value_id)
                    .value_schema_file(example_path("schemas/user.avsc")),
            )
            .build()
    });
    let producer = producer.expect("a local copy lets the producer start");
    assert!(
        logs.contains("WARN") && logs.contains("local copy"),
        "{logs}"
    );
    producer
        .produce_value(&topic, &user(1))
        .unwrap()
        .wait(Some(Duration::from_secs(30)))
        .unwrap();
    producer.close(Duration::from_secs(10)).unwrap();

    let err = Producer::builder(config())
        .registry(registry)
        .topic(TopicBinding::new(&topic, value_id))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RegistryUnavailable);
}

#[test]
#[ignore = "needs the local stack: run through `cargo xtask test`"]
fn an_invalid_record_among_valid_ones_is_refused_alone() {
    let topic = unique_topic("mixed");
    let producer = Producer::builder(config())
        .topic(bind(&topic, "schemas/user.avsc", "schemas/user-key.avsc"))
        .build()
        .unwrap();
    let mut handles = Vec::new();
    let mut refused = Vec::new();
    for i in 0..10 {
        let mut value = user(i);
        if i == 4 {
            value["company"] = json!(42);
        }
        match producer.produce(&topic, Some(&json!(i)), &value, &[]) {
            Ok(handle) => handles.push(handle),
            Err(err) => refused.push(err),
        }
    }
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].kind(), ErrorKind::InvalidRecord);
    assert_eq!(refused[0].field_path(), Some("company"));
    for handle in handles {
        handle.wait(Some(Duration::from_secs(30))).unwrap();
    }
    producer.close(Duration::from_secs(10)).unwrap();

    let registry = RegistryClient::new(config().registry().unwrap()).unwrap();
    let sequences: Vec<i64> = read_all(&topic, 9)
        .iter()
        .map(|m| {
            let bytes = m.value.as_deref().unwrap();
            let (id, _) = eventbus::wire::split(bytes).unwrap();
            let value = eventbus::Serializer::from_compiled(id, registry.schema_by_id(id).unwrap())
                .decode(bytes)
                .unwrap();
            value["sequenceNumber"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(sequences, [0, 1, 2, 3, 5, 6, 7, 8, 9]);
}

/// `flush` and `close` return only once the callbacks of the messages they
/// waited for have run, however slow a callback is.
#[test]
#[ignore = "needs the local stack: run through `cargo xtask test`"]
fn flush_and_close_wait_for_the_delivery_callbacks() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let topic = unique_topic("callbacks");
    let producer = Producer::builder(config())
        .topic(bind(&topic, "schemas/user.avsc", "schemas/user-key.avsc"))
        .build()
        .unwrap();
    let finished = Arc::new(AtomicUsize::new(0));
    let send = |sequence: i64| {
        let finished = finished.clone();
        producer
            .produce(&topic, Some(&json!(sequence)), &user(sequence), &[])
            .unwrap()
            .on_complete(move |report| {
                report.expect("delivered");
                // Slower than the delivery itself, so that a wait that
                // looked only at the reports would return first.
                std::thread::sleep(Duration::from_millis(300));
                finished.fetch_add(1, Ordering::SeqCst);
            });
    };
    send(1);
    producer.flush(Duration::from_secs(30)).unwrap();
    assert_eq!(
        finished.load(Ordering::SeqCst),
        1,
        "flush returned before the callback ran"
    );
    send(2);
    producer.close(Duration::from_secs(30)).unwrap();
    assert_eq!(
        finished.load(Ordering::SeqCst),
        2,
        "close returned before the callback ran"
    );
}

/// 10,000 events in flight while the broker is killed with SIGKILL and
/// started again: every event ends acknowledged or reported failed, and
/// every acknowledged event is in the topic. Idempotence is off, so retries
/// across the restart may write duplicates; they are counted and printed.
#[test]
#[ignore = "needs the local stack: run through `cargo xtask test`"]
fn a_broker_killed_mid_stream_loses_nothing_silently() {
    init_logs();
    const EVENTS: i64 = 10_000;
    let topic = unique_topic("restart");
    let producer = Producer::builder(config())
        .topic(bind(&topic, "schemas/user.avsc", "schemas/user-key.avsc"))
        .message_timeout(Duration::from_secs(90))
        .build()
        .unwrap();
    // Make sure the topic exists before the broker goes away.
    producer
        .produce(&topic, Some(&json!(-1)), &user(-1), &[])
        .unwrap()
        .wait(Some(Duration::from_secs(30)))
        .unwrap();

    let mut handles = Vec::with_capacity(EVENTS as usize);
    for i in 0..EVENTS {
        if i == EVENTS / 5 {
            stack(&["broker", "kill"]);
        }
        handles.push(
            producer
                .produce(&topic, Some(&json!(i)), &user(i), &[])
                .unwrap(),
        );
    }
    let restarted = Instant::now();
    stack(&["up"]);
    println!(
        "broker back after {:.1} s",
        restarted.elapsed().as_secs_f64()
    );

    let mut acknowledged = Vec::new();
    let mut failed = 0;
    for (i, handle) in handles.into_iter().enumerate() {
        match handle.wait(Some(Duration::from_secs(120))) {
            Ok(_) => acknowledged.push(i as i64),
            Err(err) => {
                assert_eq!(err.kind(), ErrorKind::Delivery, "event {i}: {err}");
                failed += 1;
            }
        }
    }
    producer.close(Duration::from_secs(30)).unwrap();
    assert_eq!(acknowledged.len() + failed, EVENTS as usize);

    let registry = RegistryClient::new(config().registry().unwrap()).unwrap();
    let mut copies: HashMap<i64, usize> = HashMap::new();
    // Duplicates make the topic longer than what was sent: read it all.
    for message in read_all(&topic, usize::MAX) {
        let bytes = message.value.as_deref().unwrap();
        let (id, _) = eventbus::wire::split(bytes).unwrap();
        let value = eventbus::Serializer::from_compiled(id, registry.schema_by_id(id).unwrap())
            .decode(bytes)
            .unwrap();
        *copies
            .entry(value["sequenceNumber"].as_i64().unwrap())
            .or_default() += 1;
    }
    let missing: Vec<i64> = acknowledged
        .iter()
        .copied()
        .filter(|i| !copies.contains_key(i))
        .collect();
    let duplicates: usize = copies.values().map(|n| n - 1).sum();
    println!(
        "{} acknowledged, {failed} reported failed, {duplicates} duplicates written",
        acknowledged.len()
    );
    assert!(
        missing.is_empty(),
        "acknowledged but not in the topic: {missing:?}"
    );
}
