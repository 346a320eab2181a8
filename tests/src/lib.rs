//! Helpers for the end-to-end tests: the local stack's addresses, schema
//! registration (test set-up only: the library itself never registers),
//! broker control, and a TCP relay that can play a registry going away.
//!
//! The tests in this package are ignored by a plain `cargo test`; `cargo
//! xtask test` starts the stack, sets the environment below and runs them.

use std::io::Write;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use eventbus::Config;
use serde::{Deserialize, Serialize};

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

pub fn example(path: &str) -> String {
    std::fs::read_to_string(repo_root().join("examples").join(path))
        .unwrap_or_else(|err| panic!("cannot read examples/{path}: {err}"))
}

pub fn example_path(path: &str) -> PathBuf {
    repo_root().join("examples").join(path)
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run these tests through `cargo xtask test`, which starts the local stack")
    })
}

/// The stack's settings, read from the environment `cargo xtask` sets.
pub fn config() -> Config {
    Config::from_env().unwrap_or_else(|err| panic!("stack settings: {err}"))
}

/// The registry's Confluent API base, prefix included.
pub fn registry_api() -> String {
    format!(
        "{}{}",
        env("SCHEMA_REGISTRY_URL").trim_end_matches('/'),
        std::env::var("SCHEMA_REGISTRY_PATH_PREFIX").unwrap_or_default()
    )
}

/// A topic name no earlier run has used.
pub fn unique_topic(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{prefix}-{nanos}")
}

/// Registers `schema` under `subject` and returns its id.
pub fn register(subject: &str, schema: &str) -> u32 {
    let body = serde_json::json!({ "schema": schema }).to_string();
    let url = format!("{}/subjects/{subject}/versions", registry_api());
    let mut response = ureq::post(&url)
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .send(body.as_bytes())
        .unwrap_or_else(|err| panic!("registering {subject}: {err}"));
    let answer: serde_json::Value = serde_json::from_str(
        &response
            .body_mut()
            .read_to_string()
            .unwrap_or_else(|err| panic!("registering {subject}: {err}")),
    )
    .unwrap_or_else(|err| panic!("registering {subject}: {err}"));
    answer["id"]
        .as_u64()
        .and_then(|id| u32::try_from(id).ok())
        .unwrap_or_else(|| panic!("registering {subject}: no id in {answer}"))
}

/// Runs `cargo xtask stack <args>` through the xtask binary that started
/// these tests.
pub fn stack(args: &[&str]) {
    let xtask = env("EVENTBUS_XTASK");
    let status = Command::new(&xtask)
        .arg("stack")
        .args(args)
        .status()
        .unwrap_or_else(|err| panic!("cannot run {xtask}: {err}"));
    assert!(status.success(), "xtask stack {args:?} failed");
}

/// Installs a `tracing` subscriber honouring `RUST_LOG`, once per process.
pub fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_test_writer()
        .try_init();
}

/// Runs `f` with a `tracing` subscriber that records what it logs.
pub fn logs_of<T>(f: impl FnOnce() -> T) -> (T, String) {
    let buffer = Arc::new(Mutex::new(Vec::<u8>::new()));
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || SharedWriter(writer.clone()))
        .with_ansi(false)
        .finish();
    let result = tracing::subscriber::with_default(subscriber, f);
    let logs =
        String::from_utf8_lossy(&buffer.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
    (result, logs)
}

struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A TCP relay in front of a real server. Stopping it closes the listener
/// and every open connection, which to a client is the server going away.
pub struct Relay {
    pub url: String,
    stopped: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<TcpStream>>>,
    address: String,
}

impl Relay {
    /// Relays to the host and port of `target_url` (`http://host:port`).
    pub fn start(target_url: &str) -> Relay {
        let target = target_url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("relay listener");
        let address = listener.local_addr().expect("relay address").to_string();
        let stopped = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (flag, open) = (stopped.clone(), connections.clone());
        thread::spawn(move || {
            for client in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                for stream in [&client, &server] {
                    if let Ok(clone) = stream.try_clone() {
                        open.lock().unwrap_or_else(|e| e.into_inner()).push(clone);
                    }
                }
                pipe(&client, &server);
                pipe(&server, &client);
            }
        });
        Relay {
            url: format!("http://{address}"),
            stopped,
            connections,
            address,
        }
    }

    /// Refuses new connections and cuts the open ones.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag and drops the listener.
        let _ = TcpStream::connect_timeout(
            &self.address.parse().expect("relay address"),
            Duration::from_millis(200),
        );
        for stream in self
            .connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

fn pipe(from: &TcpStream, to: &TcpStream) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Write);
    });
}

/// Settings for the stack's SASL_SSL listener, where tokens are checked the
/// way MSK checks them. The AWS identity comes from the environment
/// `cargo xtask test` sets (a static test identity, and the local STS).
pub fn sasl_config() -> eventbus::ConfigBuilder {
    eventbus::ConfigBuilder::from_lookup(|name| std::env::var(name).ok())
        .bootstrap_servers(env("EVENTBUS_STACK_SASL_BOOTSTRAP_SERVERS"))
        .security_protocol("SASL_SSL")
}

/// The region the stack's token validator expects.
pub fn iam_region() -> String {
    env("AWS_REGION")
}

/// The static test identity the validator knows.
pub fn test_identity() -> (String, String) {
    (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"))
}

/// How many authentications the broker has accepted for `access_key_id`,
/// as its log records them.
pub fn broker_authentications(access_key_id: &str) -> usize {
    let log = std::path::Path::new(&env("EVENTBUS_STACK_LOG_DIR")).join("kafka.log");
    std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .filter(|line| line.contains("authenticated") && line.contains(access_key_id))
        .count()
}

/// The example appointment as a Rust service holds it: a struct, with Rust
/// enums for the schema's enums, and the timestamps, date, UUID and decimal
/// as the ISO text that chrono, uuid and rust_decimal serialize to.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Appointment {
    pub event_id: String,
    pub event_type: AppointmentEventType,
    pub occurred_at: String,
    pub appointment_id: String,
    pub patient_icn: String,
    pub status: AppointmentStatus,
    pub start_time: String,
    pub end_time: String,
    pub appointment_date: String,
    pub duration_minutes: u32,
    pub facility: Facility,
    pub clinic_name: Option<String>,
    pub provider_name: Option<String>,
    pub visit_type: VisitType,
    pub procedure_codes: Vec<String>,
    pub is_telehealth: bool,
    pub reason_for_visit: Option<String>,
    pub attributes: std::collections::BTreeMap<String, String>,
    pub copay_amount: String,
    pub schema_version: i32,
    pub updated_at: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Facility {
    pub station_id: String,
    pub name: String,
    pub city: String,
    pub state: String,
    pub timezone: String,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AppointmentEventType {
    Booked,
    Rescheduled,
    Cancelled,
    CheckedIn,
    Completed,
    NoShow,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum AppointmentStatus {
    Proposed,
    Booked,
    Arrived,
    Fulfilled,
    Cancelled,
    NoShow,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VisitType {
    InPerson,
    Video,
    Phone,
}

/// `examples/records/appointment.json` read into [`Appointment`].
pub fn appointment() -> Appointment {
    serde_json::from_str(&example("records/appointment.json"))
        .expect("the example appointment fits the struct")
}
