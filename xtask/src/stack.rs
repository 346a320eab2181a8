//! `cargo xtask stack`: a local Enterprise Event Bus for integration tests and demos.
//!
//! This module owns two background servers, bound to 127.0.0.1 only:
//!
//! - an Apache Kafka broker (one node, KRaft, PLAINTEXT), run from the Maven
//!   Central jars (see [`kafka`]);
//! - Apicurio Registry, which speaks the Confluent schema registry API under
//!   `/apis/ccompat/v7` (see [`registry`]).
//!
//! It downloads them with `mvn`, writes their configuration, starts them as
//! detached `java` processes, waits until they answer, and stops exactly the
//! processes it started. Everything lives under `target/stack/`:
//!
//! ```text
//! target/stack/
//!   kafka-<version>/libs/            the broker's classpath (kept across runs)
//!   apicurio-registry-<version>/     the unpacked registry (kept across runs)
//!   kafka/config/, kafka/data/       generated config; data wiped when the registry starts too
//!   logs/kafka.log, logs/registry.log, logs/kafka-storage.log
//!   kafka.pid, registry.pid, stack.lock
//! ```
//!
//! Downloads are cached twice, in Maven's local repository and unpacked here,
//! so only the first `up` on a machine waits for the network. It needs `java`
//! 17+ and `mvn` (Debian: `openjdk-17-jdk-headless maven`); the registry needs
//! Java 21+, which is looked for under `/usr/lib/jvm` when the default `java`
//! is older.
//!
//! What the servers are used for is left to the callers: other tasks call
//! [`ensure_up`] and pass [`StackEnv::vars`] to the test processes. The
//! library itself knows nothing of this module; it reads the same environment
//! variables that `cargo xtask stack env` prints.
//!
//! Ports come from `EVENTBUS_STACK_*` variables (see [`Ports`]); set the same
//! ones for every `stack` command, since `status`, `env` and `register` look
//! for the servers where those variables say.

mod daemon;
mod http;
mod kafka;
mod registry;
mod toolchain;

use std::fs::{self, File};
use std::io;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Instant;

use daemon::Daemon;

const USAGE: &str = "\
usage: cargo xtask stack <command>

commands:
  up                       start Kafka and the schema registry (downloads on first run)
  down                     stop what `up` started
  status                   show each server, its pid, port and health
                           (exits non-zero unless both answer)
  env                      print shell exports; use as: eval \"$(cargo xtask stack env)\"
  register SUBJECT FILE    register an Avro schema file under SUBJECT, print its id
  broker kill              SIGKILL the broker, as a crash would (for fault tests);
                           `up` starts it again with its data kept

ports (defaults in brackets):
  EVENTBUS_STACK_KAFKA_PORT [19092]  EVENTBUS_STACK_CONTROLLER_PORT [19093]
  EVENTBUS_STACK_REGISTRY_PORT [18081]  EVENTBUS_STACK_REGISTRY_MANAGEMENT_PORT [18082]
";

pub fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("up") => {
            let env = ensure_up()?;
            println!("stack is up:");
            print!("{}", env.exports());
            println!("# to use it from a shell: eval \"$(cargo xtask stack env)\"");
            Ok(())
        }
        Some("down") => down(),
        Some("status") => print_status(),
        Some("env") => {
            print!("{}", StackEnv::new(&Ports::from_env()?).exports());
            Ok(())
        }
        Some("register") => match &args[1..] {
            [subject, schema_file] => {
                println!("{}", register(subject, Path::new(schema_file))?);
                Ok(())
            }
            _ => Err(format!("register needs SUBJECT and FILE\n\n{USAGE}")),
        },
        Some("broker") => match args.get(1).map(String::as_str) {
            Some("kill") => kill_broker(),
            _ => Err(format!("broker takes: kill\n\n{USAGE}")),
        },
        Some("help" | "-h" | "--help") | None => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown stack command {other:?}\n\n{USAGE}")),
    }
}

/// Where clients find the stack, as the library and the CLI read it from the
/// environment.
#[derive(Debug, Clone)]
pub struct StackEnv {
    pub bootstrap_servers: String,
    pub security_protocol: String,
    pub schema_registry_url: String,
    pub schema_registry_path_prefix: String,
}

impl StackEnv {
    fn new(ports: &Ports) -> Self {
        StackEnv {
            bootstrap_servers: format!("127.0.0.1:{}", ports.kafka),
            security_protocol: "PLAINTEXT".to_string(),
            schema_registry_url: format!("http://127.0.0.1:{}", ports.registry),
            schema_registry_path_prefix: registry::CONFLUENT_API_PREFIX.to_string(),
        }
    }

    /// The variables to set on a test process (`Command::envs`).
    pub fn vars(&self) -> [(&'static str, &str); 4] {
        [
            ("EB_BOOTSTRAP_SERVERS", &self.bootstrap_servers),
            ("EB_SECURITY_PROTOCOL", &self.security_protocol),
            ("SCHEMA_REGISTRY_URL", &self.schema_registry_url),
            (
                "SCHEMA_REGISTRY_PATH_PREFIX",
                &self.schema_registry_path_prefix,
            ),
        ]
    }

    /// The same variables as `export` lines for a POSIX shell. The values are
    /// addresses and protocol names, which need no quoting.
    pub fn exports(&self) -> String {
        self.vars()
            .iter()
            .map(|(name, value)| format!("export {name}={value}\n"))
            .collect()
    }
}

/// The four ports the stack listens on, all on 127.0.0.1.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    /// Kafka's PLAINTEXT listener, the one clients bootstrap from.
    pub kafka: u16,
    /// Kafka's KRaft controller listener; only the broker itself uses it.
    pub controller: u16,
    /// The registry's HTTP API.
    pub registry: u16,
    /// The registry's management interface (health checks).
    pub registry_management: u16,
}

impl Ports {
    pub fn from_env() -> Result<Self, String> {
        let ports = Ports {
            kafka: port_from_env("EVENTBUS_STACK_KAFKA_PORT", 19092)?,
            controller: port_from_env("EVENTBUS_STACK_CONTROLLER_PORT", 19093)?,
            registry: port_from_env("EVENTBUS_STACK_REGISTRY_PORT", 18081)?,
            registry_management: port_from_env("EVENTBUS_STACK_REGISTRY_MANAGEMENT_PORT", 18082)?,
        };

        let all = ports.described();
        for (index, (port, name, _)) in all.iter().enumerate() {
            if let Some((_, other, _)) = all[index + 1..].iter().find(|(p, _, _)| p == port) {
                return Err(format!(
                    "port {port} is configured for both the {name} and the {other}; \
                     give each its own"
                ));
            }
        }
        Ok(ports)
    }

    /// Each port with what it is for and the variable that moves it, for
    /// messages that a reader can act on.
    fn described(&self) -> [(u16, &'static str, &'static str); 4] {
        [
            (
                self.kafka,
                "Kafka client listener",
                "EVENTBUS_STACK_KAFKA_PORT",
            ),
            (
                self.controller,
                "Kafka controller listener",
                "EVENTBUS_STACK_CONTROLLER_PORT",
            ),
            (
                self.registry,
                "schema registry HTTP API",
                "EVENTBUS_STACK_REGISTRY_PORT",
            ),
            (
                self.registry_management,
                "schema registry management interface",
                "EVENTBUS_STACK_REGISTRY_MANAGEMENT_PORT",
            ),
        ]
    }
}

fn port_from_env(variable: &str, default: u16) -> Result<u16, String> {
    match std::env::var(variable) {
        Ok(value) => match value.trim().parse::<u16>() {
            Ok(port) if port > 0 => Ok(port),
            _ => Err(format!("{variable}={value:?} is not a TCP port (1-65535)")),
        },
        Err(std::env::VarError::NotPresent) => Ok(default),
        Err(err) => Err(format!("{variable}: {err}")),
    }
}

/// Fails, naming the port's purpose and its variable, if another process
/// already listens on `port`. Binding is the reliable test: it also catches a
/// server bound to 0.0.0.0 or [::].
fn ensure_port_free(ports: &Ports, port: u16) -> Result<(), String> {
    if TcpListener::bind(("127.0.0.1", port)).is_ok() {
        return Ok(());
    }
    let (name, variable) = ports
        .described()
        .iter()
        .find(|(p, _, _)| *p == port)
        .map(|(_, name, variable)| (*name, *variable))
        .unwrap_or(("stack", "the EVENTBUS_STACK_* variables"));
    Err(format!(
        "port {port} ({name}) is already in use by another process; set {variable}"
    ))
}

/// Paths under `target/stack/`.
struct StackHome {
    root: PathBuf,
}

impl StackHome {
    fn new() -> Self {
        StackHome {
            root: crate::test::repo_root().join("target").join("stack"),
        }
    }

    fn root(&self) -> &Path {
        &self.root
    }

    fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }

    fn log_file(&self, service: &str) -> PathBuf {
        self.logs().join(format!("{service}.log"))
    }

    /// Shown in messages relative to the repository, as a reader would type it.
    fn display(&self, path: &Path) -> String {
        let repo = crate::test::repo_root();
        path.strip_prefix(&repo)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// Serialises `up` and `down` across processes (two test runs, or a test
    /// run and a developer), so neither sees the other half-way. The lock is
    /// released when the returned file is dropped.
    fn lock(&self) -> Result<File, String> {
        create_dir(&self.root)?;
        let path = self.root.join("stack.lock");
        let file =
            File::create(&path).map_err(|err| format!("cannot open {}: {err}", path.display()))?;
        file.lock()
            .map_err(|err| format!("cannot lock {}: {err}", path.display()))?;
        Ok(file)
    }
}

/// Starts whatever part of the stack is not already running and healthy, waits
/// until both servers answer, and returns their addresses. Safe to call when
/// the stack is already up: it then returns at once.
pub fn ensure_up() -> Result<StackEnv, String> {
    let ports = Ports::from_env()?;
    let home = StackHome::new();
    let _lock = home.lock()?;
    create_dir(&home.logs())?;

    let kafka = Daemon::new(&home, "kafka");
    let registry = Daemon::new(&home, "registry");
    let started = Instant::now();

    // Everything that can fail early is checked before anything starts, so a
    // missing JDK or a busy port leaves no server half-started.
    let registry_java = match registry.running_pid() {
        Some(pid) => {
            println!("registry is already running (pid {pid})");
            None
        }
        None => {
            ensure_port_free(&ports, ports.registry)?;
            ensure_port_free(&ports, ports.registry_management)?;
            Some(registry::prerequisites(&home)?)
        }
    };
    let kafka_java = match kafka.running_pid() {
        Some(pid) => {
            println!("kafka is already running (pid {pid})");
            None
        }
        None => {
            ensure_port_free(&ports, ports.kafka)?;
            ensure_port_free(&ports, ports.controller)?;
            Some(kafka::prerequisites(&home)?)
        }
    };

    // Both servers start before either is awaited: each spends seconds in
    // JVM start-up, and they overlap well even on two cores. The registry
    // goes first because it is the slower, and Kafka's storage is formatted
    // while it starts.
    if let Some(java) = &registry_java {
        registry.forget_stale_pid_file()?;
        registry::start(&registry, &home, &ports, java)?;
    }
    if let Some(java) = &kafka_java {
        kafka.forget_stale_pid_file()?;
        let storage = if registry_java.is_some() {
            kafka::Storage::Fresh
        } else {
            kafka::Storage::Keep
        };
        kafka::start(&kafka, &home, &ports, java, storage)?;
    }

    // One already running is awaited too: it may be half-way through its
    // own start-up, begun by an `up` that was interrupted. A healthy one
    // passes the first check at once.
    kafka.wait_until_ready(&home, kafka::READY_TIMEOUT, || kafka::is_healthy(&ports))?;
    if kafka_java.is_some() {
        println!(
            "kafka {} ready on 127.0.0.1:{} after {:.1} s",
            kafka::KAFKA_VERSION,
            ports.kafka,
            started.elapsed().as_secs_f64()
        );
    }

    registry.wait_until_ready(&home, registry::READY_TIMEOUT, || {
        registry::is_healthy(&ports)
    })?;
    registry::check_global_compatibility(&ports)?;
    if registry_java.is_some() {
        println!(
            "registry {} ready on http://127.0.0.1:{} after {:.1} s",
            registry::REGISTRY_VERSION,
            ports.registry,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(StackEnv::new(&ports))
}

/// Stops the servers that `up` started, and nothing else: a pid is only
/// signalled if its command line still carries this stack's marker.
pub fn down() -> Result<(), String> {
    let home = StackHome::new();
    let _lock = home.lock()?;
    // The registry first: it holds nothing Kafka needs, and Kafka takes the
    // longer to stop.
    for name in ["registry", "kafka"] {
        let daemon = Daemon::new(&home, name);
        match daemon.stop()? {
            Some(pid) => println!("{name} stopped (pid {pid})"),
            None => println!("{name} was not running"),
        }
    }
    Ok(())
}

/// Registers an Avro schema file under `subject` in the running registry and
/// returns its id (test and demo set-up only).
pub fn register(subject: &str, schema_file: &Path) -> Result<u64, String> {
    registry::register_schema(&Ports::from_env()?, subject, schema_file)
}

fn kill_broker() -> Result<(), String> {
    let home = StackHome::new();
    let _lock = home.lock()?;
    match Daemon::new(&home, "kafka").kill()? {
        Some(pid) => println!("kafka killed (pid {pid})"),
        None => println!("kafka was not running"),
    }
    Ok(())
}

fn print_status() -> Result<(), String> {
    let ports = Ports::from_env()?;
    let home = StackHome::new();

    let services = [
        (
            Daemon::new(&home, "kafka"),
            format!(
                "127.0.0.1:{} (controller {})",
                ports.kafka, ports.controller
            ),
            kafka::is_healthy(&ports),
        ),
        (
            Daemon::new(&home, "registry"),
            format!(
                "http://127.0.0.1:{} (management {})",
                ports.registry, ports.registry_management
            ),
            registry::is_healthy(&ports),
        ),
    ];

    let mut all_healthy = true;
    for (daemon, address, healthy) in &services {
        let pid = match daemon.running_pid() {
            Some(pid) => format!("pid {pid}"),
            None => "not running".to_string(),
        };
        let health = if *healthy { "healthy" } else { "not answering" };
        println!("{:<9} {:<12} {:<45} {health}", daemon.name(), pid, address);
        all_healthy &= *healthy;
    }
    println!("logs: {}", home.display(&home.logs()));

    if all_healthy {
        Ok(())
    } else {
        Err("the stack is not fully up; `cargo xtask stack up` starts it".to_string())
    }
}

fn create_dir(path: &Path) -> Result<(), String> {
    fs::create_dir_all(path).map_err(|err| format!("cannot create {}: {err}", path.display()))
}

fn remove_dir_if_present(path: &Path) -> Result<(), String> {
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(format!("cannot remove {}: {err}", path.display())),
    }
}

fn write_file(path: &Path, contents: &str) -> Result<(), String> {
    fs::write(path, contents).map_err(|err| format!("cannot write {}: {err}", path.display()))
}
