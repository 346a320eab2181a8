//! The registry client and the serializer's start-up check against an
//! in-process HTTP server that answers like the Confluent registry API.
//! The real registry (Apicurio) is exercised by the local-stack tests.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use eventbus::config::{RegistryConfig, RetryPolicy};
use eventbus::{ErrorKind, RegistryClient, SchemaPin, Serializer};
use serde_json::json;

const USER: &str = include_str!("../../../examples/schemas/user.avsc");

/// One request as the server saw it.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    accept: Option<String>,
    authorization: Option<String>,
}

type Handler = dyn Fn(&str, usize) -> (u16, String) + Send + Sync;

/// A registry stand-in: answers each request with `handler(path, n)`, where
/// `n` counts earlier requests, and records what it was sent.
struct FakeRegistry {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeRegistry {
    fn start(handler: impl Fn(&str, usize) -> (u16, String) + Send + Sync + 'static) -> Self {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let url = format!("http://{}", server.server_addr().to_ip().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let handler: Arc<Handler> = Arc::new(handler);
        let count = Arc::new(AtomicUsize::new(0));
        thread::spawn(move || {
            for request in server.incoming_requests() {
                let header = |name: &'static str| {
                    request
                        .headers()
                        .iter()
                        .find(|h| h.field.equiv(name))
                        .map(|h| h.value.to_string())
                };
                log.lock().unwrap().push(Seen {
                    path: request.url().to_string(),
                    accept: header("Accept"),
                    authorization: header("Authorization"),
                });
                let handler = handler.clone();
                let n = count.fetch_add(1, Ordering::SeqCst);
                // Answer on a thread of its own so that a slow answer does not
                // hold up the requests that arrive meanwhile.
                thread::spawn(move || {
                    let (status, body) = handler(request.url(), n);
                    let response = tiny_http::Response::from_string(body).with_status_code(status);
                    let _ = request.respond(response);
                });
            }
        });
        FakeRegistry { url, seen }
    }

    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn schema_body(schema: &str) -> String {
    json!({ "schema": schema }).to_string()
}

fn not_found() -> (u16, String) {
    (
        404,
        json!({"error_code": 40403, "message": "Schema not found"}).to_string(),
    )
}

fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
        total_time: Duration::from_millis(400),
    }
}

fn client(urls: &str) -> RegistryClient {
    let mut config = RegistryConfig::new(urls).unwrap();
    config.retry = quick_retry();
    config.request_timeout = Duration::from_secs(2);
    RegistryClient::new(&config).unwrap()
}

#[test]
fn fetches_by_id_under_the_path_prefix_with_auth() {
    let registry = FakeRegistry::start(|path, _| match path {
        "/apis/ccompat/v7/schemas/ids/12" => (200, schema_body(USER)),
        _ => not_found(),
    });
    let mut config = RegistryConfig::new(&registry.url).unwrap();
    config.path_prefix = Some("/apis/ccompat/v7/".into());
    config.basic_auth = Some(eventbus::config::BasicAuth {
        username: "svc".into(),
        password: "pw".into(),
    });
    let client = RegistryClient::new(&config).unwrap();

    let schema = client.schema_by_id(12).unwrap();
    assert!(schema.text().contains("sequenceNumber"));
    let seen = registry.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/apis/ccompat/v7/schemas/ids/12");
    assert!(
        seen[0]
            .accept
            .as_deref()
            .unwrap()
            .contains("vnd.schemaregistry.v1+json")
    );
    assert_eq!(seen[0].authorization.as_deref(), Some("Basic c3ZjOnB3"));
}

#[test]
fn caches_for_the_life_of_the_client() {
    let registry = FakeRegistry::start(|_, _| (200, schema_body(USER)));
    let client = client(&registry.url);
    let first = client.schema_by_id(1).unwrap();
    let second = client.clone().schema_by_id(1).unwrap();
    assert!(Arc::ptr_eq(&first, &second));
    assert_eq!(registry.requests().len(), 1);
}

#[test]
fn concurrent_misses_share_one_request() {
    let registry = FakeRegistry::start(|_, _| {
        thread::sleep(Duration::from_millis(300));
        (200, schema_body(USER))
    });
    let client = client(&registry.url);
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            thread::spawn(move || client.schema_by_id(5).map(|s| s.fingerprint().to_string()))
        })
        .collect();
    let fingerprints: Vec<String> = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .collect();
    assert!(fingerprints.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(registry.requests().len(), 1);
}

#[test]
fn server_errors_are_retried_then_succeed() {
    let registry = FakeRegistry::start(|_, n| {
        if n < 2 {
            (503, "busy".into())
        } else {
            (200, schema_body(USER))
        }
    });
    client(&registry.url).schema_by_id(3).unwrap();
    assert_eq!(registry.requests().len(), 3);
}

#[test]
fn errors_are_not_cached() {
    let registry = FakeRegistry::start(|_, n| {
        if n == 0 {
            not_found()
        } else {
            (200, schema_body(USER))
        }
    });
    let client = client(&registry.url);
    assert_eq!(
        client.schema_by_id(3).unwrap_err().kind(),
        ErrorKind::SchemaNotFound
    );
    client.schema_by_id(3).unwrap();
}

#[test]
fn not_found_is_answered_at_once_and_names_the_id() {
    let registry = FakeRegistry::start(|_, _| not_found());
    let err = client(&registry.url).schema_by_id(999).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SchemaNotFound);
    assert!(err.to_string().contains("schema id 999"), "{err}");
    assert_eq!(registry.requests().len(), 1);
}

#[test]
fn persistent_server_errors_give_up_within_the_retry_budget() {
    let registry = FakeRegistry::start(|_, _| (500, "down".into()));
    let started = Instant::now();
    let err = client(&registry.url).schema_by_id(3).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RegistryUnavailable);
    assert!(err.is_retriable());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // 400 ms of backoff doubling from 10 ms and capped at 40 ms allows
    // about a dozen tries; a hot loop would make hundreds.
    let tries = registry.requests().len();
    assert!((3..=15).contains(&tries), "{tries} tries");
}

#[test]
fn unreachable_registry_is_unavailable_within_bounded_time() {
    let started = Instant::now();
    // Port 9 on loopback has no listener: every connect is refused.
    let err = client("http://127.0.0.1:9").schema_by_id(1).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RegistryUnavailable);
    assert!(err.to_string().contains("127.0.0.1:9"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn falls_over_to_the_next_url() {
    let registry = FakeRegistry::start(|_, _| (200, schema_body(USER)));
    let client = client(&format!("http://127.0.0.1:9,{}", registry.url));
    client.schema_by_id(4).unwrap();
}

#[test]
fn resolves_subject_and_version_once() {
    let registry = FakeRegistry::start(|path, _| match path {
        "/subjects/users-value/versions/2" => (
            200,
            json!({"subject": "users-value", "version": 2, "id": 41, "schema": USER}).to_string(),
        ),
        _ => not_found(),
    });
    let client = client(&registry.url);
    let pin = SchemaPin::subject_version("users-value", "2").unwrap();
    let (id, _) = client.fetch(&pin).unwrap();
    assert_eq!(id, 41);
    let (id, _) = client.fetch(&pin).unwrap();
    assert_eq!(id, 41);
    client.schema_by_id(41).unwrap();
    assert_eq!(registry.requests().len(), 1);
}

#[test]
fn lists_a_subject_history_oldest_first_asking_for_the_list_each_time() {
    let registry = FakeRegistry::start(|path, _| match path {
        "/subjects/users%2Fvalue/versions" => (200, "[2, 1]".into()),
        "/subjects/users%2Fvalue/versions/1" => (
            200,
            json!({"subject": "users/value", "version": 1, "id": 7, "schema": USER}).to_string(),
        ),
        "/subjects/users%2Fvalue/versions/2" => (
            200,
            json!({"subject": "users/value", "version": 2, "id": 9, "schema": "\"string\""})
                .to_string(),
        ),
        _ => not_found(),
    });
    let client = client(&registry.url);

    let history = client.subject_history("users/value").unwrap();
    let versions: Vec<u32> = history.iter().map(|(version, _)| *version).collect();
    assert_eq!(versions, [1, 2]);
    assert!(history[0].1.text().contains("sequenceNumber"));
    assert_eq!(history[1].1.text(), "\"string\"");

    // The versions themselves are cached; the list is not, since it grows.
    client.subject_history("users/value").unwrap();
    let paths: Vec<String> = registry.requests().into_iter().map(|r| r.path).collect();
    let lists = paths.iter().filter(|p| p.ends_with("/versions")).count();
    assert_eq!(lists, 2, "{paths:?}");
    assert_eq!(paths.len(), 4, "{paths:?}");
}

#[test]
fn an_unknown_subject_has_no_history() {
    let registry = FakeRegistry::start(|_, _| {
        (
            404,
            json!({"error_code": 40401, "message": "Subject not found"}).to_string(),
        )
    });
    let err = client(&registry.url).versions("nobody-value").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SchemaNotFound);
    assert!(err.to_string().contains("nobody-value"), "{err}");
}

#[test]
fn latest_is_refused_unless_opted_into() {
    let registry = FakeRegistry::start(|path, _| match path {
        "/subjects/users-value/versions/latest" => (
            200,
            json!({"subject": "users-value", "version": 3, "id": 50, "schema": USER}).to_string(),
        ),
        _ => not_found(),
    });
    let pin = SchemaPin::subject_version("users-value", "latest").unwrap();
    let err = Serializer::builder()
        .pin(pin.clone())
        .registry(client(&registry.url))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(
        err.to_string().contains("use.latest.version=false"),
        "{err}"
    );
    assert!(registry.requests().is_empty());

    let serializer = Serializer::builder()
        .pin(pin)
        .allow_latest(true)
        .registry(client(&registry.url))
        .build()
        .unwrap();
    assert_eq!(serializer.schema_id(), 50);
}

#[test]
fn refuses_schema_types_and_references_it_cannot_use() {
    let registry = FakeRegistry::start(|path, _| match path {
        "/schemas/ids/1" => (
            200,
            json!({"schema": "syntax = \"proto3\";", "schemaType": "PROTOBUF"}).to_string(),
        ),
        _ => (
            200,
            json!({"schema": USER, "references": [{"name": "x", "subject": "s", "version": 1}]})
                .to_string(),
        ),
    });
    let client = client(&registry.url);
    let err = client.schema_by_id(1).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidSchema);
    assert!(err.to_string().contains("PROTOBUF"));
    assert!(
        client
            .schema_by_id(2)
            .unwrap_err()
            .to_string()
            .contains("refers to other")
    );
}

#[test]
fn local_copy_matching_the_registry_is_accepted() {
    // The same schema written differently has the same canonical form.
    let registry = FakeRegistry::start(|_, _| {
        let compact: serde_json::Value = serde_json::from_str(USER).unwrap();
        (200, schema_body(&compact.to_string()))
    });
    let serializer = Serializer::builder()
        .schema_id(12)
        .local_schema(USER)
        .registry(client(&registry.url))
        .build()
        .unwrap();
    assert_eq!(serializer.schema_id(), 12);
}

#[test]
fn local_copy_differing_from_the_registry_is_a_hard_error() {
    let registry = FakeRegistry::start(|_, _| (200, schema_body("\"string\"")));
    let err = Serializer::builder()
        .schema_id(12)
        .local_schema(USER)
        .registry(client(&registry.url))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SchemaMismatch);
    let message = err.to_string();
    assert_eq!(message.matches("sha256:").count(), 2, "{message}");
}

#[test]
fn local_copy_serves_when_the_registry_is_down() {
    let serializer = Serializer::builder()
        .schema_id(12)
        .local_schema(USER)
        .registry(client("http://127.0.0.1:9"))
        .build()
        .unwrap();
    let bytes = serializer
        .encode(&json!({"name": "a", "company": "b", "dateOfBirth": 0, "sequenceNumber": 1}))
        .unwrap();
    assert_eq!(&bytes[..5], [0, 0, 0, 0, 12]);
}

#[test]
fn without_a_local_copy_a_down_registry_is_a_clear_error() {
    let err = Serializer::builder()
        .schema_id(12)
        .registry(client("http://127.0.0.1:9"))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RegistryUnavailable);
}
