//! MSK IAM authentication end to end: the stack's SASL_SSL listener checks
//! every token the way MSK does (signature, host, region, action, expiry,
//! known access key), and the local STS assumes roles. Run by `cargo xtask
//! test`; ignored by a plain `cargo test`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use eventbus::iam::{AwsCredentials, ProvideCredentials, TokenProvider};
use eventbus::reader::{StartAt, TopicReader};
use eventbus::{ErrorKind, Producer, Result, TopicBinding};
use eventbus_stack_tests::{
    broker_authentications, example, iam_region, init_logs, register, sasl_config, test_identity,
    unique_topic,
};
use serde_json::{Value, json};

fn user(sequence: i64) -> Value {
    json!({"name": "Newbie", "company": "Ad Hoc", "dateOfBirth": "2000-07-26",
           "sequenceNumber": sequence})
}

fn bind_users(topic: &str) -> TopicBinding {
    TopicBinding::new(
        topic,
        register(&format!("{topic}-value"), &example("schemas/user.avsc")),
    )
}

/// Credentials of the test's own making: valid or not, long-lived or not,
/// switchable while a producer runs.
struct TestCredentials {
    secret: String,
    lifetime: Duration,
    expired: AtomicBool,
    calls: AtomicUsize,
}

impl TestCredentials {
    fn new(secret: &str, lifetime: Duration) -> Arc<Self> {
        Arc::new(TestCredentials {
            secret: secret.to_string(),
            lifetime,
            expired: AtomicBool::new(false),
            calls: AtomicUsize::new(0),
        })
    }
}

impl ProvideCredentials for TestCredentials {
    fn credentials(&self) -> Result<AwsCredentials> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let now = SystemTime::now();
        let expiry = if self.expired.load(Ordering::SeqCst) {
            now - Duration::from_secs(60)
        } else {
            now + self.lifetime
        };
        Ok(AwsCredentials::new(
            test_identity().0,
            self.secret.clone(),
            None,
            Some(expiry),
        ))
    }
}

fn tokens(credentials: Arc<TestCredentials>) -> Arc<TokenProvider> {
    Arc::new(TokenProvider::with_credentials(&iam_region(), credentials))
}

fn produce_and_read_back(producer: &Producer, topic: &str) {
    let report = producer
        .produce_value(topic, &user(1))
        .unwrap()
        .wait(Some(Duration::from_secs(30)))
        .unwrap();
    assert!(report.offset >= 0);
    let config = sasl_config().build().unwrap();
    let reader =
        TopicReader::open(&config, topic, StartAt::Beginning, Duration::from_secs(20)).unwrap();
    let message = (0..60)
        .find_map(|_| reader.next(Duration::from_millis(500)).unwrap())
        .expect("the event is read back over SASL_SSL");
    let value = producer.value_serializer(topic).unwrap();
    assert_eq!(
        value.decode(message.value.as_deref().unwrap()).unwrap(),
        user(1)
    );
}

#[test]
#[ignore = "needs the local stack: run through `cargo xtask test`"]
fn static_credentials_produce_and_consume_over_sasl_ssl() {
    init_logs();
    let topic = unique_topic("iam-static");
    // The AWS default chain finds the test identity in the environment.
    let producer = Producer::builder(sasl_config().build().unwrap())
        .topic(bind_users(&topic))
        .build()
        .unwrap();
    produce_and_read_back(&producer, &topic);
    producer.close(Duration::from_secs(10)).unwrap();
}

#[test]
#[ignore = "needs the local stack: run through `cargo xtask test`"]
fn an_assumed_role_produces_and_consumes_over_sasl_ssl() {
    init_logs();
    let topic = unique_topic("iam-role");
    let config = sasl_config()
        .role_arn("arn:aws:iam::123456789012:role/eventbus-producer")
        .role_session_name("eventbus-e2e")
        .build()
        .unwrap();
    let producer = Producer::builder(config.clone())
        .topic(bind_users(&topic))
        .build()
        .unwrap();
    produce_and_read_back(&producer, &topic);
    producer.close(Duration::from_secs(10)).unwrap();

    let identity = TokenProvider::from_config(config.aws())
        .unwrap()
        .caller_identity()
        .unwrap();
    assert!(identity.arn.contains("eventbus-producer"), "{identity:?}");
}

#[test]
#[ignore = "needs the local stack: run through `cargo xtask test`"]
fn a_wrong_secret_fails_fast_with_the_brokers_reason() {
    init_logs();
    let topic = unique_topic("iam-wrong");
    let started = Instant::now();
    let err = Producer::builder(sasl_config().build().unwrap())
        .token_provider(tokens(TestCredentials::new(
            "not-the-secret",
            Duration::from_secs(3600),
        )))
        .topic(bind_users(&topic))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(
        err.to_string().to_lowercase().contains("signature"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

/// With broker sessions capped at a few seconds (the stack's re-auth
/// limit) and credentials that live for a minute, a producer sends
/// continuously across several re-authentications without a failure.
#[test]
#[ignore = "needs the local stack: run through `cargo xtask test`"]
fn sending_continues_across_reauthentications() {
    init_logs();
    let topic = unique_topic("iam-reauth");
    let credentials = TestCredentials::new(&test_identity().1, Duration::from_secs(60));
    let producer = Producer::builder(sasl_config().build().unwrap())
        .token_provider(tokens(credentials.clone()))
        .topic(bind_users(&topic))
        .build()
        .unwrap();
    let key = test_identity().0;
    let before = broker_authentications(&key);
    let started = Instant::now();
    let mut handles = Vec::new();
    let mut sequence = 0;
    while started.elapsed() < Duration::from_secs(25) {
        handles.push(producer.produce_value(&topic, &user(sequence)).unwrap());
        sequence += 1;
        std::thread::sleep(Duration::from_millis(50));
    }
    let failed = handles
        .into_iter()
        .filter(|h| h.wait(Some(Duration::from_secs(60))).is_err())
        .count();
    producer.close(Duration::from_secs(10)).unwrap();
    let reauthentications = broker_authentications(&key) - before;
    println!("{sequence} events, {failed} failed, {reauthentications} authentications");
    assert_eq!(failed, 0);
    assert!(
        reauthentications >= 3,
        "{reauthentications} authentications"
    );
}

/// An idle producer's token expires; the next event still goes through,
/// because librdkafka refreshes the token before it lapses.
#[test]
#[ignore = "needs the local stack: run through `cargo xtask test`"]
fn an_idle_producer_has_a_valid_token_when_traffic_resumes() {
    init_logs();
    let topic = unique_topic("iam-idle");
    // Credentials living 20 s make tokens that do too.
    let credentials = TestCredentials::new(&test_identity().1, Duration::from_secs(20));
    let producer = Producer::builder(sasl_config().build().unwrap())
        .token_provider(tokens(credentials.clone()))
        .topic(bind_users(&topic))
        .build()
        .unwrap();
    producer
        .produce_value(&topic, &user(1))
        .unwrap()
        .wait(Some(Duration::from_secs(30)))
        .unwrap();
    std::thread::sleep(Duration::from_secs(30));
    producer
        .produce_value(&topic, &user(2))
        .unwrap()
        .wait(Some(Duration::from_secs(30)))
        .unwrap();
    assert!(
        credentials.calls.load(Ordering::SeqCst) >= 2,
        "the token was refreshed"
    );
    producer.close(Duration::from_secs(10)).unwrap();
}

/// Credentials that have expired give a clear error at start-up; a running
/// producer whose credentials expire recovers by itself when good ones return.
#[test]
#[ignore = "needs the local stack: run through `cargo xtask test`"]
fn expired_credentials_are_reported_and_recovered_from() {
    init_logs();
    let topic = unique_topic("iam-expired");
    let expired = TestCredentials::new(&test_identity().1, Duration::from_secs(3600));
    expired.expired.store(true, Ordering::SeqCst);
    let err = Producer::builder(sasl_config().build().unwrap())
        .token_provider(tokens(expired))
        .topic(bind_users(&topic))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.to_string().contains("expired"), "{err}");

    // Credentials living 15 s make tokens that do too, so the producer must
    // come back for new ones while they are bad.
    let credentials = TestCredentials::new(&test_identity().1, Duration::from_secs(15));
    let producer = Producer::builder(sasl_config().build().unwrap())
        .token_provider(tokens(credentials.clone()))
        .topic(bind_users(&topic))
        .build()
        .unwrap();
    producer
        .produce_value(&topic, &user(1))
        .unwrap()
        .wait(Some(Duration::from_secs(30)))
        .unwrap();
    credentials.expired.store(true, Ordering::SeqCst);
    let calls_before = credentials.calls.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_secs(20));
    let during = producer.produce_value(&topic, &user(2)).unwrap();
    std::thread::sleep(Duration::from_secs(5));
    // Failed refreshes are retried after a pause, not in a loop.
    let retries = credentials.calls.load(Ordering::SeqCst) - calls_before;
    assert!(
        (1..=10).contains(&retries),
        "{retries} credential lookups in 25 s"
    );
    credentials.expired.store(false, Ordering::SeqCst);
    during.wait(Some(Duration::from_secs(90))).unwrap();
    producer.close(Duration::from_secs(10)).unwrap();
}

/// `eventbus doctor` against the SASL_SSL listener: every check passes with
/// the test identity, and a wrong secret fails the broker check with the
/// broker's reason and a fix that names the secret.
#[test]
#[ignore = "needs the local stack: run through `cargo xtask test`"]
fn doctor_passes_and_names_a_wrong_secret() {
    let eventbus = std::env::var("EVENTBUS_CLI").expect("EVENTBUS_CLI names the eventbus binary");
    let doctor = |secret: &str| {
        std::process::Command::new(&eventbus)
            .arg("doctor")
            .env(
                "EB_BOOTSTRAP_SERVERS",
                std::env::var("EVENTBUS_STACK_SASL_BOOTSTRAP_SERVERS").unwrap(),
            )
            .env("EB_SECURITY_PROTOCOL", "SASL_SSL")
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .output()
            .expect("run eventbus doctor")
    };
    let good = doctor(&test_identity().1);
    let report = String::from_utf8_lossy(&good.stdout);
    assert!(good.status.success(), "{report}");
    assert!(report.contains("ok    brokers: authenticated"), "{report}");
    assert!(
        !report.contains(&test_identity().1),
        "the report holds no secret"
    );

    let bad = doctor("not-the-secret");
    let report = String::from_utf8_lossy(&bad.stdout);
    assert!(!bad.status.success(), "{report}");
    assert!(
        report.contains("FAIL  brokers") && report.contains("signature_mismatch"),
        "{report}"
    );
    assert!(report.contains("check AWS_SECRET_ACCESS_KEY"), "{report}");
}
