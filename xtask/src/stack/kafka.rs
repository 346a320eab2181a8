//! The local Kafka broker: its jars, its configuration and storage, how it is
//! started, and how we tell that it answers.
//!
//! The broker runs straight from the Maven Central jars (`kafka.Kafka` on a
//! classpath that Maven assembles), not from the binary distribution, which
//! lives on a host these machines cannot reach. Its configuration templates
//! are in `xtask/stack/kafka/`.
//!
//! Clients reach it on two listeners: PLAINTEXT on 127.0.0.1, and SASL_SSL on
//! `localhost` with OAUTHBEARER and AWS MSK IAM tokens, as on MSK (see
//! [`super::iam`]). The SASL_SSL listener's certificate, token validator and
//! credentials file are made here before each start, when missing.
//!
//! Every start begins with empty storage. The registry keeps its schemas in
//! memory and forgets them when it stops, so messages kept from an earlier run
//! would point at schema ids that no longer exist.

use std::fs;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::daemon::Daemon;
use super::iam::{self, ListenerSettings};
use super::toolchain::{self, Java};
use super::{Ports, StackHome, create_dir, remove_dir_if_present, tls, validator, write_file};

/// The one place the broker's version is chosen. Any 4.x release on Maven
/// Central works the same way here; a change re-downloads on the next `up`.
pub const KAFKA_VERSION: &str = "4.1.2";

/// The log4j 2 release providing the SLF4J binding (see the POM template).
const LOG4J_VERSION: &str = "2.24.3";

/// Kafka 4 brokers need Java 17.
const KAFKA_JAVA_MAJOR: u32 = 17;

/// A cold broker on two busy cores is ready in 5-15 s; the margin is for CI
/// machines under load.
pub const READY_TIMEOUT: Duration = Duration::from_secs(90);

/// What the distribution's start scripts pass, with a smaller heap: a test
/// broker holds little data.
const JVM_OPTIONS: &[&str] = &[
    "-Xms512m",
    "-Xmx512m",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-Djava.awt.headless=true",
];

/// For the storage tool, which runs for a second or two: the quickest JVM to
/// start.
const TOOL_JVM_OPTIONS: &[&str] = &["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"];

const POM_TEMPLATE: &str = include_str!("../../stack/kafka/pom.xml");
const SERVER_PROPERTIES_TEMPLATE: &str = include_str!("../../stack/kafka/server.properties");
const LOG4J2_PROPERTIES: &str = include_str!("../../stack/kafka/log4j2.properties");

/// One of the broker's listeners: a name, the protocol it speaks, its port on
/// 127.0.0.1, and the host name it is advertised under.
struct Listener {
    name: &'static str,
    security_protocol: &'static str,
    port: u16,
    advertised_host: &'static str,
}

/// The broker's listeners. PLAINTEXT serves clients (and inter-broker traffic,
/// of which a single node has none); SASL_SSL serves clients as MSK does,
/// advertised as `localhost` to match its certificate; CONTROLLER carries the
/// KRaft quorum.
fn kafka_listeners(ports: &Ports) -> Vec<Listener> {
    vec![
        Listener {
            name: "PLAINTEXT",
            security_protocol: "PLAINTEXT",
            port: ports.kafka,
            advertised_host: "127.0.0.1",
        },
        Listener {
            name: SASL_LISTENER,
            security_protocol: "SASL_SSL",
            port: ports.sasl,
            advertised_host: "localhost",
        },
        Listener {
            name: "CONTROLLER",
            security_protocol: "PLAINTEXT",
            port: ports.controller,
            advertised_host: "127.0.0.1",
        },
    ]
}

/// The SASL_SSL listener's name, which is also its security protocol.
const SASL_LISTENER: &str = "SASL_SSL";

/// `listener.name.<listener>.*` lines appended to server.properties. The
/// PLAINTEXT and CONTROLLER listeners need none.
fn listener_settings(sasl: &ListenerSettings) -> Vec<String> {
    sasl.properties(&SASL_LISTENER.to_ascii_lowercase())
}

/// Paths of the broker's files under `target/stack/`.
struct KafkaFiles {
    /// Jars, kept across runs; named by version so a new pin downloads anew.
    libs: PathBuf,
    config_dir: PathBuf,
    server_properties: PathBuf,
    log4j2_properties: PathBuf,
    data_dir: PathBuf,
    cluster_id: PathBuf,
}

impl KafkaFiles {
    fn new(home: &StackHome) -> Self {
        let state = home.root().join("kafka");
        let config_dir = state.join("config");
        KafkaFiles {
            libs: home
                .root()
                .join(format!("kafka-{KAFKA_VERSION}"))
                .join("libs"),
            server_properties: config_dir.join("server.properties"),
            log4j2_properties: config_dir.join("log4j2.properties"),
            config_dir,
            data_dir: state.join("data"),
            cluster_id: state.join("cluster-id"),
        }
    }

    /// The broker's jars as a `-cp` value; the JVM expands the `*` itself.
    fn classpath(&self) -> String {
        format!("{}/*", self.libs.display())
    }
}

/// Checks what starting the broker needs (and, before the first run, what
/// downloading it and making its SASL_SSL files need), and returns the `java`
/// to run it with.
pub fn prerequisites(home: &StackHome) -> Result<Java, String> {
    if !KafkaFiles::new(home).libs.is_dir() {
        toolchain::mvn()?;
    }
    let java = toolchain::find_java(KAFKA_JAVA_MAJOR, "Kafka")?;
    tls::prerequisites(home)?;
    validator::prerequisites(home, &java)?;
    Ok(java)
}

/// What to do with the broker's data when it starts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// Start empty: the registry is starting afresh too, and messages that
    /// name schema ids it no longer has would only mislead.
    Fresh,
    /// Keep what the broker held, as after a crash: the registry kept running.
    Keep,
}

/// Downloads (first run only), configures and starts the broker, without
/// waiting for it to answer.
pub fn start(
    daemon: &Daemon,
    home: &StackHome,
    ports: &Ports,
    sasl: &ListenerSettings,
    java: &Java,
    storage: Storage,
) -> Result<(), String> {
    let files = KafkaFiles::new(home);
    ensure_installed(home, &files)?;
    tls::ensure_created(home)?;
    validator::ensure_built(home, java, &files.classpath())?;
    iam::ensure_credentials_file(home)?;
    write_config(&files, ports, sasl)?;
    let cluster_id = cluster_id(java, &files)?;
    format_storage(java, &files, &cluster_id, home, storage)?;

    println!(
        "==> kafka {KAFKA_VERSION}: starting on 127.0.0.1:{} and SASL_SSL localhost:{} \
         (log: {})",
        ports.kafka,
        ports.sasl,
        home.display(daemon.log_file())
    );
    let mut command = Command::new(&java.path);
    command
        .args(JVM_OPTIONS)
        .arg(log4j_option(&files))
        .args(daemon.marker_args())
        .arg("-cp")
        .arg(format!(
            "{}:{}",
            files.classpath(),
            sasl.validator_jar.display()
        ))
        .arg("kafka.Kafka")
        .arg(&files.server_properties)
        .current_dir(home.root());
    daemon.spawn(command)?;
    Ok(())
}

fn log4j_option(files: &KafkaFiles) -> String {
    format!(
        "-Dlog4j2.configurationFile={}",
        files.log4j2_properties.display()
    )
}

/// Fetches the broker's jars with Maven unless a previous run did. They land
/// in a `.partial` folder that is renamed when complete, so an interrupted
/// download is never mistaken for a finished one.
fn ensure_installed(home: &StackHome, files: &KafkaFiles) -> Result<(), String> {
    if files.libs.is_dir() {
        return Ok(());
    }
    println!("==> kafka {KAFKA_VERSION}: fetching the broker's jars with mvn (first run only)");

    let install_dir = files.libs.parent().unwrap_or(home.root()).to_path_buf();
    let partial = home.root().join(format!("kafka-{KAFKA_VERSION}.partial"));
    remove_dir_if_present(&partial)?;
    create_dir(&partial)?;

    let pom = toolchain::fill_template(
        "xtask/stack/kafka/pom.xml",
        POM_TEMPLATE,
        &[
            ("kafka_version", KAFKA_VERSION),
            ("log4j_version", LOG4J_VERSION),
        ],
    )?;
    write_file(&partial.join("pom.xml"), &pom)?;
    toolchain::copy_dependencies(
        &partial,
        &partial.join("libs"),
        &format!("org.apache.kafka:kafka_2.13:{KAFKA_VERSION}"),
    )?;

    remove_dir_if_present(&install_dir)?;
    fs::rename(&partial, &install_dir).map_err(|err| {
        format!(
            "cannot rename {} to {}: {err}",
            partial.display(),
            install_dir.display()
        )
    })
}

fn write_config(files: &KafkaFiles, ports: &Ports, sasl: &ListenerSettings) -> Result<(), String> {
    let server_properties = server_properties(files, ports, sasl)?;
    create_dir(&files.config_dir)?;
    write_file(&files.server_properties, &server_properties)?;
    write_file(&files.log4j2_properties, LOG4J2_PROPERTIES)
}

/// Why a running broker does not have the configuration that a start would
/// give it now, if it does not: another `EVENTBUS_STACK_*` setting, or an
/// older xtask that started it, or a validator changed since.
pub fn outdated_config(home: &StackHome, ports: &Ports, sasl: &ListenerSettings) -> Option<String> {
    let files = KafkaFiles::new(home);
    let running = fs::read_to_string(&files.server_properties).ok()?;
    if server_properties(&files, ports, sasl).ok()? != running {
        return Some(format!(
            "its {} differs from what `up` would write now (another EVENTBUS_STACK_* \
             setting, or an older xtask)",
            home.display(&files.server_properties)
        ));
    }
    if !validator::is_current(home) {
        return Some("the MSK IAM token validator's sources changed since".to_string());
    }
    None
}

/// The `connections.max.reauth.ms` of the SASL_SSL listener in the broker's
/// configuration on disk, which is the running broker's if one runs.
pub fn configured_reauth_ms(home: &StackHome) -> Option<u64> {
    let key = format!(
        "listener.name.{}.connections.max.reauth.ms=",
        SASL_LISTENER.to_ascii_lowercase()
    );
    fs::read_to_string(KafkaFiles::new(home).server_properties)
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix(&key)?.trim().parse().ok())
}

fn server_properties(
    files: &KafkaFiles,
    ports: &Ports,
    sasl: &ListenerSettings,
) -> Result<String, String> {
    let listeners = kafka_listeners(ports);
    let join = |render: &dyn Fn(&Listener) -> String| {
        listeners.iter().map(render).collect::<Vec<_>>().join(",")
    };
    let bound = join(&|l| format!("{}://127.0.0.1:{}", l.name, l.port));
    let advertised = join(&|l| format!("{}://{}:{}", l.name, l.advertised_host, l.port));
    let protocol_map = join(&|l| format!("{}:{}", l.name, l.security_protocol));
    let data_dir = files.data_dir.display().to_string();
    let controller_port = ports.controller.to_string();
    let settings = listener_settings(sasl).join("\n");

    toolchain::fill_template(
        "xtask/stack/kafka/server.properties",
        SERVER_PROPERTIES_TEMPLATE,
        &[
            ("controller_port", &controller_port),
            ("listeners", &bound),
            ("advertised_listeners", &advertised),
            ("listener_security_protocol_map", &protocol_map),
            ("data_dir", &data_dir),
            ("listener_settings", &settings),
        ],
    )
}

/// The cluster id, made once with the storage tool and kept: making one costs
/// a JVM start, and a fixed id does no harm since the data is wiped anyway.
fn cluster_id(java: &Java, files: &KafkaFiles) -> Result<String, String> {
    if let Ok(saved) = fs::read_to_string(&files.cluster_id) {
        let saved = saved.trim();
        if !saved.is_empty() {
            return Ok(saved.to_string());
        }
    }

    let output = Command::new(&java.path)
        .args(TOOL_JVM_OPTIONS)
        .arg(log4j_option(files))
        .arg("-cp")
        .arg(files.classpath())
        .args(["kafka.tools.StorageTool", "random-uuid"])
        .output()
        .map_err(|err| format!("cannot run kafka.tools.StorageTool: {err}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The id is the tool's last line; anything before it is logging.
    let id = stdout.lines().map(str::trim).rfind(|line| !line.is_empty());
    match id {
        Some(id) if output.status.success() => {
            write_file(&files.cluster_id, &format!("{id}\n"))?;
            Ok(id.to_string())
        }
        _ => Err(format!(
            "kafka.tools.StorageTool random-uuid failed ({}):\n{stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )),
    }
}

/// Formats the broker's data as a one-voter KRaft quorum, wiping it first
/// when asked; formatting data that is already formatted changes nothing.
fn format_storage(
    java: &Java,
    files: &KafkaFiles,
    cluster_id: &str,
    home: &StackHome,
    storage: Storage,
) -> Result<(), String> {
    if storage == Storage::Fresh {
        remove_dir_if_present(&files.data_dir)?;
    }

    let output = Command::new(&java.path)
        .args(TOOL_JVM_OPTIONS)
        .arg(log4j_option(files))
        .arg("-cp")
        .arg(files.classpath())
        .args(["kafka.tools.StorageTool", "format", "--standalone"])
        .args(["--cluster-id", cluster_id])
        .arg("--config")
        .arg(&files.server_properties)
        .arg("--ignore-formatted")
        .output()
        .map_err(|err| format!("cannot run kafka.tools.StorageTool: {err}"))?;

    // Kept for reference: the broker's own log starts afresh at each start.
    let log = home.logs().join("kafka-storage.log");
    let mut transcript = output.stdout.clone();
    transcript.extend_from_slice(&output.stderr);
    fs::write(&log, &transcript).map_err(|err| format!("cannot write {}: {err}", log.display()))?;

    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "formatting Kafka's storage failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&transcript)
        ))
    }
}

/// Whether a broker answers a metadata request on the client port and lists
/// itself there. That only happens once it has joined the quorum and been
/// unfenced, so it is the point at which clients can produce.
pub fn is_healthy(ports: &Ports) -> bool {
    matches!(broker_ports(ports.kafka), Ok(listed) if listed.contains(&i32::from(ports.kafka)))
}

/// Sends a Metadata request for no topics and returns the port of each broker
/// in the answer.
///
/// Version 4 is the oldest Kafka 4 accepts and the newest that is not yet in
/// the "flexible" encoding, so a dozen lines of big-endian integers suffice.
/// Request: size, api key 3, version, correlation id, client id (int16 length +
/// bytes), topics (int32 count, 0 = none), allow_auto_topic_creation (int8).
/// Response: size, correlation id, throttle_time_ms, then the brokers array of
/// (node_id int32, host string, port int32, rack nullable string).
fn broker_ports(port: u16) -> io::Result<Vec<i32>> {
    const METADATA: i16 = 3;
    const VERSION: i16 = 4;
    const CORRELATION_ID: i32 = 7;
    const CLIENT_ID: &[u8] = b"eventbus-xtask-stack";

    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(3)))?;
    stream.set_write_timeout(Some(Duration::from_secs(3)))?;

    let mut request = Vec::new();
    request.extend(METADATA.to_be_bytes());
    request.extend(VERSION.to_be_bytes());
    request.extend(CORRELATION_ID.to_be_bytes());
    request.extend((CLIENT_ID.len() as i16).to_be_bytes());
    request.extend(CLIENT_ID);
    request.extend(0i32.to_be_bytes());
    request.push(0);
    let mut frame = (request.len() as i32).to_be_bytes().to_vec();
    frame.extend(request);
    stream.write_all(&frame)?;

    let mut size = [0u8; 4];
    stream.read_exact(&mut size)?;
    let size = usize::try_from(i32::from_be_bytes(size))
        .ok()
        .filter(|size| *size <= 1 << 20)
        .ok_or_else(|| invalid("metadata response has an impossible size"))?;
    let mut body = vec![0u8; size];
    stream.read_exact(&mut body)?;

    let mut response = ResponseReader { bytes: &body };
    if response.i32()? != CORRELATION_ID {
        return Err(invalid("metadata response answers another request"));
    }
    let _throttle_time_ms = response.i32()?;
    let broker_count = response.i32()?;
    let mut ports = Vec::new();
    for _ in 0..broker_count.max(0) {
        let _node_id = response.i32()?;
        let host_length = response.i16()?;
        response.skip(host_length)?;
        ports.push(response.i32()?);
        let rack_length = response.i16()?; // -1 when null
        response.skip(rack_length)?;
    }
    Ok(ports)
}

/// Reads big-endian integers off the front of a Kafka response.
struct ResponseReader<'a> {
    bytes: &'a [u8],
}

impl ResponseReader<'_> {
    fn take<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        let (head, rest) = self
            .bytes
            .split_first_chunk::<N>()
            .ok_or_else(|| invalid("metadata response is truncated"))?;
        self.bytes = rest;
        Ok(*head)
    }

    fn i16(&mut self) -> io::Result<i16> {
        self.take().map(i16::from_be_bytes)
    }

    fn i32(&mut self) -> io::Result<i32> {
        self.take().map(i32::from_be_bytes)
    }

    /// Skips a string body of `length` bytes; a negative length (null) skips
    /// nothing.
    fn skip(&mut self, length: i16) -> io::Result<()> {
        let length = usize::try_from(length).unwrap_or(0);
        self.bytes = self
            .bytes
            .get(length..)
            .ok_or_else(|| invalid("metadata response is truncated"))?;
        Ok(())
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_string())
}
