//! Producer behaviour under faults, against librdkafka's in-process mock
//! cluster: repeatable in seconds. The same paths against a real broker are
//! covered by the local-stack tests.

mod support;

use std::time::{Duration, Instant};

use eventbus::{Config, ErrorKind, Producer, TopicBinding};
use rdkafka::mocking::MockCluster;
use rdkafka::types::RDKafkaRespErr;
use serde_json::{Value, json};

const USER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/schemas/user.avsc"
);
const USER_KEY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/schemas/user-key.avsc"
);

fn user(sequence: i64) -> Value {
    json!({"name": "Newbie", "company": "Ad Hoc", "dateOfBirth": "2000-07-26", "sequenceNumber": sequence})
}

fn config(bootstrap: &str) -> Config {
    Config::builder()
        .bootstrap_servers(bootstrap)
        .security_protocol("PLAINTEXT")
        .build()
        .unwrap()
}

/// A producer bound to `users` with local schema copies (no registry).
fn producer(cluster: &MockCluster<'_, rdkafka::producer::DefaultProducerContext>) -> Producer {
    producer_with(cluster, |b| b)
}

fn producer_with(
    cluster: &MockCluster<'_, rdkafka::producer::DefaultProducerContext>,
    tune: impl FnOnce(eventbus::ProducerBuilder) -> eventbus::ProducerBuilder,
) -> Producer {
    let builder = Producer::builder(config(&cluster.bootstrap_servers())).topic(
        TopicBinding::new("users", 1)
            .value_schema_file(USER)
            .key_schema_id(2)
            .key_schema_file(USER_KEY),
    );
    tune(builder).build().unwrap()
}

#[test]
fn delivers_and_reports_where() {
    let cluster = MockCluster::new(1).unwrap();
    let producer = producer(&cluster);
    let handle = producer
        .produce(
            "users",
            Some(&json!(7)),
            &user(1),
            &[("source", b"test".as_slice())],
        )
        .unwrap();
    let report = handle.wait(Some(Duration::from_secs(10))).unwrap();
    assert_eq!(report.topic, "users");
    assert_eq!(report.offset, 0);
    producer.close(Duration::from_secs(5)).unwrap();
}

#[test]
fn an_invalid_record_is_refused_and_the_producer_goes_on() {
    let cluster = MockCluster::new(1).unwrap();
    let producer = producer(&cluster);
    let mut bad = user(1);
    bad["name"] = Value::Null;
    let err = producer.produce_value("users", &bad).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRecord);
    assert_eq!(err.field_path(), Some("name"));
    assert_eq!(producer.in_flight(), 0);

    let bad_key = producer
        .produce("users", Some(&json!("not a long")), &user(2), &[])
        .unwrap_err();
    assert_eq!(bad_key.kind(), ErrorKind::InvalidRecord);
    assert_eq!(producer.in_flight(), 0);

    let report = producer
        .produce_value("users", &user(3))
        .unwrap()
        .wait(Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(
        report.offset, 0,
        "nothing was written before the good record"
    );
    producer.close(Duration::from_secs(5)).unwrap();
}

#[test]
fn unbound_topics_and_missing_key_schemas_are_config_errors() {
    let cluster = MockCluster::new(1).unwrap();
    let producer = Producer::builder(config(&cluster.bootstrap_servers()))
        .topic(TopicBinding::new("users", 1).value_schema_file(USER))
        .build()
        .unwrap();
    let err = producer.produce_value("orders", &user(1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("bound topics: users"), "{err}");
    let err = producer
        .produce("users", Some(&json!(1)), &user(1), &[])
        .unwrap_err();
    assert!(err.to_string().contains("no key schema"), "{err}");
    producer.close(Duration::from_secs(5)).unwrap();
}

#[test]
fn produce_after_close_is_refused() {
    let cluster = MockCluster::new(1).unwrap();
    let producer = producer(&cluster);
    producer.close(Duration::from_secs(5)).unwrap();
    let err = producer.produce_value("users", &user(1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed);
}

#[test]
fn a_full_queue_waits_then_says_so() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.broker_down(1).unwrap();
    let producer = producer_with(&cluster, |b| {
        b.queue_max_bytes(1024)
            .enqueue_timeout(Duration::from_millis(200))
    });
    let started = Instant::now();
    let mut queued = Vec::new();
    let err = loop {
        match producer.produce_value("users", &user(queued.len() as i64)) {
            Ok(handle) => queued.push(handle),
            Err(err) => break err,
        }
        assert!(queued.len() < 10_000, "the queue never filled");
    };
    assert_eq!(err.kind(), ErrorKind::QueueFull);
    assert!(err.is_retriable());
    assert!(started.elapsed() >= Duration::from_millis(200));

    // Closing with the broker still down reports every queued message.
    let closed = producer.close(Duration::from_millis(500)).unwrap_err();
    assert_eq!(closed.kind(), ErrorKind::Timeout);
    for handle in queued {
        let outcome = handle.wait(Some(Duration::from_secs(5)));
        let err = outcome.expect_err("a purged message is reported failed");
        assert_eq!(err.kind(), ErrorKind::Delivery);
        assert!(err.is_retriable(), "{err}");
    }
}

#[test]
fn broker_errors_are_reported_with_retriability() {
    let cluster = MockCluster::new(1).unwrap();
    let producer = producer_with(&cluster, |b| b.message_timeout(Duration::from_secs(3)));
    cluster.request_errors(
        rdkafka::types::RDKafkaApiKey::Produce,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE],
    );
    let err = producer
        .produce_value("users", &user(1))
        .unwrap()
        .wait(Some(Duration::from_secs(10)))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Delivery);
    assert!(!err.is_retriable(), "{err}");
    assert!(
        err.to_string().contains("larger than the topic accepts"),
        "{err}"
    );
    producer.close(Duration::from_secs(5)).unwrap();
}

#[tokio::test]
async fn handles_can_be_awaited() {
    let cluster = MockCluster::new(1).unwrap();
    let producer = producer(&cluster);
    let report = producer
        .produce_value("users", &user(1))
        .unwrap()
        .await
        .unwrap();
    assert!(report.partition >= 0);
    producer.close(Duration::from_secs(5)).unwrap();
}

#[test]
fn dropping_without_close_logs_what_it_abandons() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.broker_down(1).unwrap();
    let (handles, logs) = support::logs_of(|| {
        let producer = producer(&cluster);
        let handles: Vec<_> = (0..3)
            .map(|i| producer.produce_value("users", &user(i)).unwrap())
            .collect();
        drop(producer);
        handles
    });
    assert!(logs.contains("ERROR"), "{logs}");
    assert!(logs.contains("abandoned=3"), "{logs}");
    // The purged messages are reported, not lost without a word.
    for handle in handles {
        let err = handle.wait(Some(Duration::from_secs(5))).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Delivery);
    }
}

#[test]
fn the_topic_reader_reads_back_what_was_produced() {
    use eventbus::reader::{StartAt, TopicReader};
    let cluster = MockCluster::new(1).unwrap();
    let producer = producer(&cluster);
    producer
        .produce(
            "users",
            Some(&json!(9)),
            &user(1),
            &[("trace", b"abc".as_slice())],
        )
        .unwrap()
        .wait(Some(Duration::from_secs(10)))
        .unwrap();
    let config = config(&cluster.bootstrap_servers());
    let reader = TopicReader::open(
        &config,
        "users",
        StartAt::Beginning,
        Duration::from_secs(10),
    )
    .unwrap();
    let message = (0..50)
        .find_map(|_| reader.next(Duration::from_millis(200)).unwrap())
        .expect("the produced message is read back");
    let value = producer.value_serializer("users").unwrap();
    assert_eq!(
        value.decode(message.value.as_deref().unwrap()).unwrap(),
        user(1)
    );
    let key = producer.key_serializer("users").unwrap();
    assert_eq!(
        key.decode(message.key.as_deref().unwrap()).unwrap(),
        json!(9)
    );
    assert_eq!(message.headers, [("trace".to_string(), b"abc".to_vec())]);
    producer.close(Duration::from_secs(5)).unwrap();
}
