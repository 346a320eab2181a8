//! The local schema registry: Apicurio Registry, which serves the Confluent
//! schema registry API under [`CONFLUENT_API_PREFIX`], the API the library
//! uses against the Event Bus's registry.
//!
//! Confluent's own registry is not published to Maven Central; Apicurio is,
//! as a runnable Quarkus application (`io.apicurio:apicurio-registry-app`,
//! classifier `all`, a tar.gz). It keeps schemas in an in-memory H2 database,
//! so each start begins empty, and it is set to the Event Bus's global
//! compatibility rule, BACKWARD.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::daemon::Daemon;
use super::toolchain::{self, Java};
use super::{Ports, StackHome, create_dir, http, remove_dir_if_present};

/// The one place the registry's version is chosen; a change re-downloads on
/// the next `up`.
pub const REGISTRY_VERSION: &str = "3.3.3";

/// Apicurio Registry 3.3 is compiled for Java 21.
const REGISTRY_JAVA_MAJOR: u32 = 21;

pub const CONFLUENT_API_PREFIX: &str = "/apis/ccompat/v7";

/// The Event Bus's global compatibility level. Apicurio's own default is NONE.
const GLOBAL_COMPATIBILITY: &str = "BACKWARD";

/// Quarkus starts in about 10 s on two cores, more when Kafka starts beside it.
pub const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// A registry for tests holds a handful of schemas, so the heap stays small,
/// and it answers a few requests, so the optimising JIT compiler is left out:
/// that starts it about a second sooner on two cores and saves some memory.
const JVM_OPTIONS: &[&str] = &[
    "-Xmx384m",
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
];

/// The Confluent API's content type, which Confluent clients send.
const SCHEMA_REGISTRY_JSON: &str = "application/vnd.schemaregistry.v1+json";

fn install_dir(home: &StackHome) -> PathBuf {
    home.root()
        .join(format!("apicurio-registry-{REGISTRY_VERSION}"))
}

/// Settings passed as `-D` system properties, which Quarkus reads before its
/// bundled application.properties.
fn settings(ports: &Ports) -> Vec<String> {
    [
        ("quarkus.http.host", "127.0.0.1".to_string()),
        ("quarkus.http.port", ports.registry.to_string()),
        // Health checks live on a separate management interface.
        ("quarkus.management.host", "127.0.0.1".to_string()),
        (
            "quarkus.management.port",
            ports.registry_management.to_string(),
        ),
        // The defaults, spelled out: SQL storage on an in-memory H2 database.
        ("apicurio.storage.kind", "sql".to_string()),
        ("apicurio.storage.sql.kind", "h2".to_string()),
        (
            "apicurio.rules.global.compatibility",
            GLOBAL_COMPATIBILITY.to_string(),
        ),
        // The bundled format prints dates as "2026-12+00-03".
        (
            "quarkus.log.console.format",
            "%d{yyyy-MM-dd HH:mm:ss} %p [%c{3.}] (%t) %m%n".to_string(),
        ),
    ]
    .into_iter()
    .map(|(name, value)| format!("-D{name}={value}"))
    .collect()
}

/// Checks what starting the registry needs (and, before the first run, what
/// downloading it needs), and returns the `java` to run it with, which may
/// not be the default one.
pub fn prerequisites(home: &StackHome) -> Result<Java, String> {
    if !install_dir(home).join("quarkus-run.jar").is_file() {
        toolchain::mvn()?;
    }
    toolchain::find_java(
        REGISTRY_JAVA_MAJOR,
        &format!("Apicurio Registry {REGISTRY_VERSION}"),
    )
}

/// Downloads and unpacks (first run only), then starts the registry, without
/// waiting for it to answer.
pub fn start(daemon: &Daemon, home: &StackHome, ports: &Ports, java: &Java) -> Result<(), String> {
    let app_dir = ensure_installed(home)?;

    println!(
        "==> registry {REGISTRY_VERSION}: starting on http://127.0.0.1:{} with Java {} \
         (log: {})",
        ports.registry,
        java.major,
        home.display(daemon.log_file())
    );
    let mut command = Command::new(&java.path);
    command
        .args(JVM_OPTIONS)
        .args(daemon.marker_args())
        .args(settings(ports))
        .arg("-jar")
        .arg(app_dir.join("quarkus-run.jar"))
        .current_dir(&app_dir);
    daemon.spawn(command)?;
    Ok(())
}

/// Fetches the application's tar.gz with Maven and unpacks it, unless a
/// previous run did. It is unpacked into a `.partial` folder that is renamed
/// when complete; the tarball is then deleted, since Maven's local repository
/// keeps a copy.
fn ensure_installed(home: &StackHome) -> Result<PathBuf, String> {
    let app_dir = install_dir(home);
    if app_dir.join("quarkus-run.jar").is_file() {
        return Ok(app_dir);
    }
    println!(
        "==> registry {REGISTRY_VERSION}: fetching Apicurio Registry with mvn (first run only)"
    );

    let downloads = home.root().join("downloads");
    create_dir(&downloads)?;
    toolchain::copy_artifact(
        &format!("io.apicurio:apicurio-registry-app:{REGISTRY_VERSION}:tar.gz:all"),
        &downloads,
    )?;
    let tarball = downloads.join(format!(
        "apicurio-registry-app-{REGISTRY_VERSION}-all.tar.gz"
    ));

    let partial = home
        .root()
        .join(format!("apicurio-registry-{REGISTRY_VERSION}.partial"));
    remove_dir_if_present(&partial)?;
    create_dir(&partial)?;
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(&partial)
        .status()
        .map_err(|err| format!("cannot run tar: {err}"))?;
    if !status.success() {
        return Err(format!(
            "tar could not unpack {} ({status})",
            tarball.display()
        ));
    }
    // The archive holds quarkus-run.jar at its top level, with no folder
    // around it.
    if !partial.join("quarkus-run.jar").is_file() {
        return Err(format!(
            "{} has no quarkus-run.jar at its top; this release is packaged \
             differently from {REGISTRY_VERSION}",
            tarball.display()
        ));
    }

    remove_dir_if_present(&app_dir)?;
    std::fs::rename(&partial, &app_dir).map_err(|err| {
        format!(
            "cannot rename {} to {}: {err}",
            partial.display(),
            app_dir.display()
        )
    })?;
    let _ = std::fs::remove_file(&tarball);
    Ok(app_dir)
}

/// Whether the registry reports itself ready on its management interface.
pub fn is_healthy(ports: &Ports) -> bool {
    http::get(ports.registry_management, "/health/ready").is_ok_and(|r| r.is_success())
}

/// Fails unless the registry's global compatibility is BACKWARD, as on the
/// Event Bus. Catches a release that no longer reads the property we set.
pub fn check_global_compatibility(ports: &Ports) -> Result<(), String> {
    let response = http::get(ports.registry, &format!("{CONFLUENT_API_PREFIX}/config"))
        .map_err(|err| unreachable_registry(ports, &err))?;
    if response.is_success()
        && response
            .body
            .contains(&format!("\"{GLOBAL_COMPATIBILITY}\""))
    {
        Ok(())
    } else {
        Err(format!(
            "the registry's global compatibility should be {GLOBAL_COMPATIBILITY}, but \
             GET {CONFLUENT_API_PREFIX}/config answered {}: {}; Apicurio {REGISTRY_VERSION} \
             may read another property than apicurio.rules.global.compatibility",
            response.status, response.body
        ))
    }
}

/// Registers the Avro schema in `schema_file` under `subject` through the
/// Confluent API and returns its id. For test set-up and demos: the library
/// itself never registers schemas.
pub fn register_schema(ports: &Ports, subject: &str, schema_file: &Path) -> Result<u64, String> {
    let schema = std::fs::read_to_string(schema_file)
        .map_err(|err| format!("cannot read {}: {err}", schema_file.display()))?;
    let path = format!(
        "{CONFLUENT_API_PREFIX}/subjects/{}/versions",
        percent_encode(subject)
    );
    let body = format!("{{\"schema\":{}}}", json_string(&schema));

    let response = http::post(ports.registry, &path, SCHEMA_REGISTRY_JSON, &body)
        .map_err(|err| unreachable_registry(ports, &err))?;
    if !response.is_success() {
        return Err(format!(
            "the registry refused {} under {subject:?} ({}): {}",
            schema_file.display(),
            response.status,
            response.body
        ));
    }
    schema_id(&response.body)
        .ok_or_else(|| format!("the registry's answer has no schema id: {}", response.body))
}

fn unreachable_registry(ports: &Ports, err: &std::io::Error) -> String {
    format!(
        "cannot reach the schema registry at http://127.0.0.1:{}: {err}; \
         is the stack up? (`cargo xtask stack up`)",
        ports.registry
    )
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for character in text.chars() {
        match character {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            control if u32::from(control) < 0x20 => {
                quoted.push_str(&format!("\\u{:04x}", u32::from(control)));
            }
            other => quoted.push(other),
        }
    }
    quoted.push('"');
    quoted
}

/// The number after `"id":` in the registry's answer, `{"id":1}`.
fn schema_id(body: &str) -> Option<u64> {
    let after_key = &body[body.find("\"id\"")? + 4..];
    let value = after_key.trim_start().strip_prefix(':')?.trim_start();
    let digits: String = value.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// A subject as one URL path segment: everything but unreserved characters is
/// percent-encoded.
fn percent_encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_a_schema_as_a_json_string() {
        assert_eq!(
            json_string("{\"type\": \"string\"}\n\t\u{1}\\"),
            r#""{\"type\": \"string\"}\n\t\u0001\\""#
        );
    }

    #[test]
    fn reads_the_schema_id() {
        assert_eq!(schema_id("{\"id\":42}"), Some(42));
        assert_eq!(schema_id("{ \"id\" : 7 }"), Some(7));
        assert_eq!(schema_id("{\"error_code\":409}"), None);
    }

    #[test]
    fn encodes_a_subject_as_one_path_segment() {
        assert_eq!(percent_encode("users-value"), "users-value");
        assert_eq!(percent_encode("a/b c"), "a%2Fb%20c");
    }
}
