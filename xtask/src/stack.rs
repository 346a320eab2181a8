//! `cargo xtask stack`: a local Enterprise Event Bus for integration tests and demos.
//!
//! This module owns three background servers, bound to 127.0.0.1 only:
//!
//! - an Apache Kafka broker (one node, KRaft), run from the Maven Central jars
//!   (see [`kafka`]), with a PLAINTEXT listener and a SASL_SSL one that takes
//!   OAUTHBEARER with AWS MSK IAM tokens and checks them as MSK does (see
//!   [`iam`], [`tls`] and [`validator`]);
//! - Apicurio Registry, which speaks the Confluent schema registry API under
//!   `/apis/ccompat/v7` (see [`registry`]);
//! - moto, a local AWS STS that issues the temporary credentials the broker
//!   then accepts (see [`sts`]).
//!
//! It downloads them with `mvn` and `pip`, writes their configuration, starts
//! them as detached processes, waits until they answer, and stops exactly the
//! processes it started. Everything lives under `target/stack/` (or
//! `$EVENTBUS_STACK_HOME`, so that a second stack can run beside the first):
//!
//! ```text
//! target/stack/
//!   kafka-<version>/libs/            the broker's classpath (kept across runs)
//!   apicurio-registry-<version>/     the unpacked registry (kept across runs)
//!   venv/                            Python virtualenv with moto (kept across runs)
//!   tls/ca.pem, tls/broker.p12       test CA and broker keystore (kept across runs)
//!   validator/                       the compiled MSK IAM token validator (kept)
//!   iam/credentials                  access keys the broker accepts, read at each login
//!   kafka/config/, kafka/data/       generated config; data wiped when the registry starts too
//!   logs/kafka.log, logs/registry.log, logs/sts.log, logs/kafka-storage.log
//!   kafka.pid, registry.pid, sts.pid, stack.lock
//! ```
//!
//! Downloads are cached twice, in Maven's and pip's caches and unpacked here,
//! so only the first `up` on a machine waits for the network. It needs a JDK
//! 17+ and `mvn` (Debian: `openjdk-17-jdk-headless maven`), `openssl`, and
//! `python3` with its venv module (`python3-venv`); the registry needs Java
//! 21+, which is looked for under `/usr/lib/jvm` when the default `java` is
//! older.
//!
//! What the servers are used for is left to the callers: other tasks call
//! [`ensure_up`] and pass [`StackEnv::vars`] (PLAINTEXT) or
//! [`StackEnv::sasl_vars`] (SASL_SSL with MSK IAM) to the test processes. The
//! library itself knows nothing of this module; it reads the same environment
//! variables that `cargo xtask stack env` prints.
//!
//! Ports come from `EVENTBUS_STACK_*` variables (see [`Ports`]); set the same
//! ones, and the same `EVENTBUS_STACK_HOME`, for every `stack` command, since
//! `status`, `env`, `down` and `register` look for the servers where those
//! variables say.

mod daemon;
mod http;
mod iam;
mod kafka;
mod registry;
mod sts;
mod tls;
mod toolchain;
mod validator;

use std::fs::{self, File};
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use daemon::Daemon;

const USAGE: &str = "\
usage: cargo xtask stack <command>

commands:
  up                       start Kafka, the schema registry and the local STS
                           (downloads on first run)
  down                     stop what `up` started
  status                   show each server, its pid, port and health
                           (exits non-zero unless all answer)
  env                      print shell exports for the PLAINTEXT listener;
                           use as: eval \"$(cargo xtask stack env)\"
  env --sasl               the same for the SASL_SSL listener with MSK IAM tokens:
                           CA file, region, static test access key, local STS
  env --test               what the end-to-end tests read (both listeners), to run
                           them by hand: cargo test -p eventbus-stack-tests -- --ignored
  register SUBJECT FILE    register an Avro schema file under SUBJECT, print its id
  broker kill              SIGKILL the broker, as a crash would (for fault tests);
                           `up` starts it again with its data kept

ports (defaults in brackets):
  EVENTBUS_STACK_KAFKA_PORT [19092]  EVENTBUS_STACK_CONTROLLER_PORT [19093]
  EVENTBUS_STACK_SASL_PORT [19094]   EVENTBUS_STACK_STS_PORT [15000]
  EVENTBUS_STACK_REGISTRY_PORT [18081]  EVENTBUS_STACK_REGISTRY_MANAGEMENT_PORT [18082]

other settings:
  EVENTBUS_STACK_HOME [target/stack]  where the stack keeps its files, pids and logs;
                           a second home (with other ports) runs a second stack
  EVENTBUS_STACK_REAUTH_MS [3600000]  connections.max.reauth.ms of the SASL_SSL
                           listener, read when the broker starts: a few thousand
                           makes clients re-authenticate within a test
";

pub fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("up") => {
            let env = ensure_up()?;
            println!("stack is up:");
            print!("{}", env.exports());
            println!("# to use it from a shell: eval \"$(cargo xtask stack env)\"");
            println!(
                "# SASL_SSL with MSK IAM tokens on {}: eval \"$(cargo xtask stack env --sasl)\"",
                env.sasl_bootstrap_servers
            );
            Ok(())
        }
        Some("down") => down(),
        Some("status") => print_status(),
        Some("env") => {
            let env = StackEnv::new(&Ports::from_env()?, &StackHome::new()?);
            match args.get(1).map(String::as_str) {
                None => print!("{}", export_lines(&env.vars())),
                Some("--sasl") => print!("{}", export_lines(&env.sasl_vars())),
                Some("--test") => print!("{}", export_lines(&env.test_vars())),
                Some(other) => {
                    return Err(format!(
                        "env takes --sasl or --test, not {other:?}\n\n{USAGE}"
                    ));
                }
            }
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
    /// The PLAINTEXT listener, `127.0.0.1:<port>`.
    pub bootstrap_servers: String,
    /// `PLAINTEXT`, for [`StackEnv::bootstrap_servers`].
    pub security_protocol: String,
    pub schema_registry_url: String,
    pub schema_registry_path_prefix: String,
    /// The SASL_SSL listener, `localhost:<port>` (the name its certificate
    /// carries), which wants OAUTHBEARER with MSK IAM tokens.
    pub sasl_bootstrap_servers: String,
    /// The test CA's certificate (PEM), which clients of the SASL_SSL listener
    /// trust.
    pub ssl_ca_location: PathBuf,
    /// The region tokens must be signed for.
    pub aws_region: String,
    /// A long-term access key the broker always accepts.
    pub aws_access_key_id: String,
    pub aws_secret_access_key: String,
    /// The local STS (moto): `AssumeRole` there gives temporary credentials
    /// the broker accepts too.
    pub sts_endpoint_url: String,
    /// The access keys the broker accepts, read at every authentication;
    /// tests may add or remove lines (see the file's header).
    pub iam_credentials_file: PathBuf,
    /// The servers' logs; the broker's `kafka.log` has one line per accepted
    /// token, with "authenticated" and the access key id.
    pub log_dir: PathBuf,
}

impl StackEnv {
    fn new(ports: &Ports, home: &StackHome) -> Self {
        StackEnv {
            bootstrap_servers: format!("127.0.0.1:{}", ports.kafka),
            security_protocol: "PLAINTEXT".to_string(),
            schema_registry_url: format!("http://127.0.0.1:{}", ports.registry),
            schema_registry_path_prefix: registry::CONFLUENT_API_PREFIX.to_string(),
            sasl_bootstrap_servers: format!("localhost:{}", ports.sasl),
            ssl_ca_location: tls::TlsFiles::new(home).ca_pem(),
            aws_region: iam::REGION.to_string(),
            aws_access_key_id: iam::TEST_ACCESS_KEY_ID.to_string(),
            aws_secret_access_key: iam::TEST_SECRET_ACCESS_KEY.to_string(),
            sts_endpoint_url: sts::endpoint_url(ports),
            iam_credentials_file: iam::credentials_file(home),
            log_dir: home.logs(),
        }
    }

    /// The variables to set on a test process (`Command::envs`) for the
    /// PLAINTEXT listener.
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

    /// The variables for the SASL_SSL listener with MSK IAM tokens signed with
    /// the static test identity, the local STS's address for role-based
    /// credentials, and the registry, followed by the stack's own
    /// [`StackEnv::iam_test_vars`].
    pub fn sasl_vars(&self) -> Vec<(&'static str, &str)> {
        let mut vars = vec![
            ("EB_BOOTSTRAP_SERVERS", self.sasl_bootstrap_servers.as_str()),
            ("EB_SECURITY_PROTOCOL", "SASL_SSL"),
            ("EB_SSL_CA_LOCATION", path_str(&self.ssl_ca_location)),
            ("AWS_REGION", &self.aws_region),
            ("AWS_ACCESS_KEY_ID", &self.aws_access_key_id),
            ("AWS_SECRET_ACCESS_KEY", &self.aws_secret_access_key),
            ("AWS_ENDPOINT_URL_STS", &self.sts_endpoint_url),
            ("SCHEMA_REGISTRY_URL", &self.schema_registry_url),
            (
                "SCHEMA_REGISTRY_PATH_PREFIX",
                &self.schema_registry_path_prefix,
            ),
        ];
        vars.extend(self.iam_test_vars());
        vars
    }

    /// What the end-to-end tests read to reach the SASL_SSL listener, under
    /// names that do not clash with [`StackEnv::vars`], so that one test
    /// process gets both: `Command::envs(env.vars()).envs(env.test_vars())`
    /// is the same as `envs(env.test_vars())`.
    pub fn test_vars(&self) -> Vec<(&'static str, &str)> {
        let mut vars = self.vars().to_vec();
        vars.extend([
            ("EB_SSL_CA_LOCATION", path_str(&self.ssl_ca_location)),
            ("AWS_REGION", &self.aws_region),
            ("AWS_ACCESS_KEY_ID", &self.aws_access_key_id),
            ("AWS_SECRET_ACCESS_KEY", &self.aws_secret_access_key),
            ("AWS_ENDPOINT_URL_STS", &self.sts_endpoint_url),
        ]);
        vars.extend(self.iam_test_vars());
        vars
    }

    /// The stack's own `EVENTBUS_STACK_*` variables for tests of the SASL_SSL
    /// listener: its address, the broker's credentials file (for tests that
    /// change it) and the log folder (for tests that count authentications).
    fn iam_test_vars(&self) -> [(&'static str, &str); 3] {
        [
            (
                "EVENTBUS_STACK_SASL_BOOTSTRAP_SERVERS",
                &self.sasl_bootstrap_servers,
            ),
            (
                "EVENTBUS_STACK_IAM_CREDENTIALS",
                path_str(&self.iam_credentials_file),
            ),
            ("EVENTBUS_STACK_LOG_DIR", path_str(&self.log_dir)),
        ]
    }

    /// [`StackEnv::vars`] as `export` lines for a POSIX shell.
    pub fn exports(&self) -> String {
        export_lines(&self.vars())
    }
}

/// A path as text; the stack's paths come from UTF-8 variables and names.
fn path_str(path: &Path) -> &str {
    path.to_str().unwrap_or_default()
}

fn export_lines(vars: &[(&str, &str)]) -> String {
    vars.iter()
        .map(|(name, value)| format!("export {name}={}\n", shell_quote(value)))
        .collect()
}

/// A value as one shell word: addresses and plain paths stay as they are,
/// anything else is single-quoted.
fn shell_quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-:,@%+=".contains(c));
    if plain {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

/// The ports the stack listens on, all on 127.0.0.1.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    /// Kafka's PLAINTEXT listener, the one clients bootstrap from.
    pub kafka: u16,
    /// Kafka's KRaft controller listener; only the broker itself uses it.
    pub controller: u16,
    /// Kafka's SASL_SSL listener (OAUTHBEARER with MSK IAM tokens).
    pub sasl: u16,
    /// The registry's HTTP API.
    pub registry: u16,
    /// The registry's management interface (health checks).
    pub registry_management: u16,
    /// The local STS (moto).
    pub sts: u16,
}

impl Ports {
    pub fn from_env() -> Result<Self, String> {
        let ports = Ports {
            kafka: port_from_env("EVENTBUS_STACK_KAFKA_PORT", 19092)?,
            controller: port_from_env("EVENTBUS_STACK_CONTROLLER_PORT", 19093)?,
            sasl: port_from_env("EVENTBUS_STACK_SASL_PORT", 19094)?,
            registry: port_from_env("EVENTBUS_STACK_REGISTRY_PORT", 18081)?,
            registry_management: port_from_env("EVENTBUS_STACK_REGISTRY_MANAGEMENT_PORT", 18082)?,
            sts: port_from_env("EVENTBUS_STACK_STS_PORT", 15000)?,
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
    fn described(&self) -> [(u16, &'static str, &'static str); 6] {
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
                self.sasl,
                "Kafka SASL_SSL listener",
                "EVENTBUS_STACK_SASL_PORT",
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
            (self.sts, "local STS (moto)", "EVENTBUS_STACK_STS_PORT"),
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

/// Moves the stack's files, pids and logs away from `target/stack`, so that a
/// second stack (on other ports) can run beside the first.
const HOME_VARIABLE: &str = "EVENTBUS_STACK_HOME";

/// Paths under `target/stack/`, or under `$EVENTBUS_STACK_HOME`.
struct StackHome {
    root: PathBuf,
}

impl StackHome {
    /// `$EVENTBUS_STACK_HOME` if set (a relative path is taken from the
    /// current directory), else `target/stack` in the repository.
    fn new() -> Result<Self, String> {
        let root = match std::env::var_os(HOME_VARIABLE) {
            Some(home) if !home.is_empty() => std::path::absolute(&home)
                .map_err(|err| format!("{HOME_VARIABLE}={home:?}: {err}"))?,
            _ => crate::test::repo_root().join("target").join("stack"),
        };
        Ok(StackHome { root })
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

/// Like [`ensure_up`], but first stops a running stack whose broker is not
/// configured as `up` would start it now, so that tests always meet the
/// configuration they were written for.
pub fn ensure_up_as_configured() -> Result<StackEnv, String> {
    let ports = Ports::from_env()?;
    let home = StackHome::new()?;
    let sasl = iam::ListenerSettings::new(&home, &ports, iam::reauth_ms_from_env()?);
    let running = Daemon::new(&home, "kafka").running_pid().is_some();
    if let Some(reason) = running
        .then(|| kafka::outdated_config(&home, &ports, &sasl))
        .flatten()
    {
        println!("restarting the local stack: {reason}");
        down()?;
    }
    ensure_up()
}

/// Starts whatever part of the stack is not already running and healthy, waits
/// until every server answers, and returns their addresses. Safe to call when
/// the stack is already up: it then returns at once.
pub fn ensure_up() -> Result<StackEnv, String> {
    let ports = Ports::from_env()?;
    let home = StackHome::new()?;
    let reauth_ms = iam::reauth_ms_from_env()?;
    let sasl = iam::ListenerSettings::new(&home, &ports, reauth_ms);
    let _lock = home.lock()?;
    create_dir(&home.logs())?;

    let kafka = Daemon::new(&home, "kafka");
    let registry = Daemon::new(&home, "registry");
    let sts = sts::daemon(&home);
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
            if let Some(reason) = kafka::outdated_config(&home, &ports, &sasl) {
                println!(
                    "warning: the running broker may not be configured as this xtask would \
                     start it: {reason}; `cargo xtask stack down` and `up` again to apply"
                );
            }
            None
        }
        None => {
            ensure_port_free(&ports, ports.kafka)?;
            ensure_port_free(&ports, ports.controller)?;
            ensure_port_free(&ports, ports.sasl)?;
            Some(kafka::prerequisites(&home)?)
        }
    };
    let sts_needed = match sts.running_pid() {
        Some(pid) => {
            println!("sts is already running (pid {pid})");
            false
        }
        None => {
            ensure_port_free(&ports, ports.sts)?;
            sts::prerequisites(&home)?;
            true
        }
    };

    // All servers start before any is awaited: each spends seconds starting
    // up, and they overlap well even on two cores. The registry goes first
    // because it is the slowest; the STS, a Python process, starts while the
    // registry's JVM does; Kafka's storage is formatted while both start.
    if let Some(java) = &registry_java {
        registry.forget_stale_pid_file()?;
        registry::start(&registry, &home, &ports, java)?;
    }
    if sts_needed {
        sts.forget_stale_pid_file()?;
        sts::start(&sts, &home, &ports)?;
    }
    if let Some(java) = &kafka_java {
        kafka.forget_stale_pid_file()?;
        let storage = if registry_java.is_some() {
            kafka::Storage::Fresh
        } else {
            kafka::Storage::Keep
        };
        kafka::start(&kafka, &home, &ports, &sasl, java, storage)?;
    }

    // One already running is awaited too: it may be half-way through its
    // own start-up, begun by an `up` that was interrupted. A healthy one
    // passes the first check at once.
    sts.wait_until_ready(&home, sts::READY_TIMEOUT, || sts::is_healthy(&ports))?;
    if sts_needed {
        println!(
            "sts (moto {}) ready on {} after {:.1} s",
            sts::MOTO_VERSION,
            sts::endpoint_url(&ports),
            started.elapsed().as_secs_f64()
        );
    }

    kafka.wait_until_ready(&home, kafka::READY_TIMEOUT, || kafka::is_healthy(&ports))?;
    if kafka_java.is_some() {
        println!(
            "kafka {} ready on 127.0.0.1:{} and SASL_SSL localhost:{} (re-authentication \
             every {} ms) after {:.1} s",
            kafka::KAFKA_VERSION,
            ports.kafka,
            ports.sasl,
            reauth_ms,
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
    Ok(StackEnv::new(&ports, &home))
}

/// Stops the servers that `up` started, and nothing else: a pid is only
/// signalled if its command line still carries this stack's marker.
pub fn down() -> Result<(), String> {
    let home = StackHome::new()?;
    let _lock = home.lock()?;
    // The registry and the STS first: they hold nothing Kafka needs, and
    // Kafka takes the longest to stop.
    let daemons = [
        Daemon::new(&home, "registry"),
        sts::daemon(&home),
        Daemon::new(&home, "kafka"),
    ];
    for daemon in daemons {
        match daemon.stop()? {
            Some(pid) => println!("{} stopped (pid {pid})", daemon.name()),
            None => println!("{} was not running", daemon.name()),
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
    let home = StackHome::new()?;
    let _lock = home.lock()?;
    match Daemon::new(&home, "kafka").kill()? {
        Some(pid) => println!("kafka killed (pid {pid})"),
        None => println!("kafka was not running"),
    }
    Ok(())
}

fn print_status() -> Result<(), String> {
    let ports = Ports::from_env()?;
    let home = StackHome::new()?;
    let kafka = Daemon::new(&home, "kafka");
    let reauth = match kafka::configured_reauth_ms(&home) {
        Some(ms) => format!("re-auth {ms} ms"),
        None => "no SASL_SSL config".to_string(),
    };

    let services = [
        (
            kafka.name(),
            kafka.running_pid(),
            format!(
                "127.0.0.1:{} (controller {})",
                ports.kafka, ports.controller
            ),
            kafka::is_healthy(&ports),
        ),
        (
            "sasl_ssl",
            kafka.running_pid(),
            format!("localhost:{} ({reauth})", ports.sasl),
            TcpStream::connect_timeout(
                &SocketAddr::from(([127, 0, 0, 1], ports.sasl)),
                Duration::from_secs(1),
            )
            .is_ok(),
        ),
        (
            "registry",
            Daemon::new(&home, "registry").running_pid(),
            format!(
                "http://127.0.0.1:{} (management {})",
                ports.registry, ports.registry_management
            ),
            registry::is_healthy(&ports),
        ),
        (
            "sts",
            sts::daemon(&home).running_pid(),
            sts::endpoint_url(&ports),
            sts::is_healthy(&ports),
        ),
    ];

    let mut all_healthy = true;
    for (name, pid, address, healthy) in &services {
        let pid = match pid {
            Some(pid) => format!("pid {pid}"),
            None => "not running".to_string(),
        };
        let health = if *healthy { "healthy" } else { "not answering" };
        println!("{name:<9} {pid:<12} {address:<45} {health}");
        all_healthy &= *healthy;
    }
    println!("home: {}", home.display(home.root()));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_values_a_shell_would_split() {
        assert_eq!(shell_quote("localhost:19094"), "localhost:19094");
        assert_eq!(
            shell_quote("/work/target/stack/tls/ca.pem"),
            "/work/target/stack/tls/ca.pem"
        );
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
