//! What the CLI test files share: the binary run in the repository root
//! with a clean environment, the example files, output helpers, and an
//! in-process HTTP stand-in for the schema registry on loopback.

// Each test file uses only some of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};

use assert_cmd::Command;
use serde_json::Value;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn example(path: &str) -> String {
    std::fs::read_to_string(repo_root().join("examples").join(path)).unwrap()
}

pub fn example_json(path: &str) -> Value {
    serde_json::from_str(&example(path)).unwrap()
}

/// The binary in the repository root, blind to any broker, registry, log or
/// AWS settings of the environment the tests run in: no AWS variable of the
/// test's own environment reaches it, the shared AWS files point nowhere and
/// the instance metadata service is off, so no real credentials are found.
pub fn eventbus() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eventbus"));
    command.current_dir(repo_root());
    for variable in [
        "SCHEMA_REGISTRY_URL",
        "SCHEMA_REGISTRY_PATH_PREFIX",
        "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO",
        "SCHEMA_REGISTRY_CA_LOCATION",
        "EVENTBUS_LOG",
        "EB_BOOTSTRAP_SERVERS",
        "KAFKA_HOST",
        "EB_SECURITY_PROTOCOL",
        "SECURITY_PROTOCOL",
        "EB_ENABLE_IDEMPOTENCE",
        "EB_SSL_CA_LOCATION",
    ] {
        command.env_remove(variable);
    }
    for (variable, _) in std::env::vars_os() {
        if variable.to_string_lossy().starts_with("AWS_") {
            command.env_remove(variable);
        }
    }
    let nowhere = Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-such-aws-file");
    command
        .env("AWS_CONFIG_FILE", &nowhere)
        .env("AWS_SHARED_CREDENTIALS_FILE", &nowhere)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn assert_no_panic(output: &Output) {
    let stderr = stderr(output);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("RUST_BACKTRACE"), "{stderr}");
}

/// Answers `GET {path}` with the body routed to it, and 404 otherwise;
/// remembers every path asked for.
pub struct RegistryStandIn {
    pub url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl RegistryStandIn {
    pub fn start(routes: Vec<(String, Value)>) -> Self {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let address = server.server_addr().to_ip().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for request in server.incoming_requests() {
                let path = request.url().to_string();
                seen.lock().unwrap().push(path.clone());
                let response = match routes.iter().find(|(route, _)| *route == path) {
                    Some((_, body)) => tiny_http::Response::from_string(body.to_string()),
                    None => tiny_http::Response::from_string(
                        r#"{"error_code":40403,"message":"Schema not found"}"#,
                    )
                    .with_status_code(404),
                };
                let _ = request.respond(response);
            }
        });
        RegistryStandIn {
            url: format!("http://{address}"),
            requests,
        }
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

pub fn schema_route(schema_id: u32, schema_file: &str) -> (String, Value) {
    (
        format!("/schemas/ids/{schema_id}"),
        serde_json::json!({ "schema": example(schema_file) }),
    )
}
