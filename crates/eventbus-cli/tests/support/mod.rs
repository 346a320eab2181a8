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

/// The binary in the repository root, blind to any broker, registry or log
/// settings of the environment the tests run in.
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
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ROLE",
        "AWS_ROLE_ARN",
        "AWS_ROLE_SESSION_NAME",
        "AWS_STS_REGION",
    ] {
        command.env_remove(variable);
    }
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
