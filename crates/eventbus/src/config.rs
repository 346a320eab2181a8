//! Everything a producer needs to reach the Event Bus, and the Event Bus
//! client rules applied as defaults rather than left as advice.
//!
//! A [`Config`] is only ever built through [`ConfigBuilder::build`] (or
//! [`Config::from_env`], which fills a builder), so every `Config` has been
//! validated: the protocol is known, `OAUTHBEARER` goes with `SASL_SSL`,
//! idempotence is off unless asked for, and extra librdkafka properties
//! cannot quietly contradict any of that.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};

/// The AWS region the Event Bus runs in; used when nothing else is set.
pub const DEFAULT_AWS_REGION: &str = "us-gov-west-1";

/// MSK's IAM listener port for clients inside AWS.
pub const MSK_IAM_PORT_INSIDE_AWS: u16 = 9098;

/// MSK's IAM listener port for clients outside AWS.
pub const MSK_IAM_PORT_OUTSIDE_AWS: u16 = 9198;

/// How clients talk to the brokers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecurityProtocol {
    /// Unencrypted and unauthenticated: a local broker only.
    Plaintext,
    /// TLS with SASL `OAUTHBEARER` carrying an AWS MSK IAM token: the Event Bus.
    SaslSsl,
}

impl SecurityProtocol {
    pub fn parse(value: &str) -> Result<Self> {
        match value.trim().to_ascii_uppercase().as_str() {
            "PLAINTEXT" => Ok(SecurityProtocol::Plaintext),
            "SASL_SSL" => Ok(SecurityProtocol::SaslSsl),
            _ => Err(Error::config(format!(
                "unknown security protocol {value:?}; use SASL_SSL (the Event Bus, with AWS IAM) \
                 or PLAINTEXT (a local broker)"
            ))),
        }
    }

    /// The name librdkafka and the Event Bus documentation use.
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }
}

impl fmt::Display for SecurityProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The AWS identity used for MSK IAM authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsConfig {
    /// The region of the MSK cluster; the token is signed for it.
    pub region: String,
    /// A role to assume before signing, as the Event Bus team assigns.
    pub role_arn: Option<String>,
    /// The session name for the assumed role; kept the same across refreshes,
    /// because MSK refuses a principal that changes on re-authentication.
    pub role_session_name: Option<String>,
    /// The region whose STS endpoint assumes the role; defaults to `region`.
    pub sts_region: Option<String>,
    /// The external id the role's trust policy may require.
    pub role_external_id: Option<String>,
}

/// Credentials for a registry behind HTTP basic authentication.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth {
    pub username: String,
    pub password: String,
}

impl BasicAuth {
    /// Parses Confluent's `basic.auth.user.info` form, `user:password`.
    pub fn parse(user_info: &str) -> Result<Self> {
        let (username, password) = user_info.split_once(':').ok_or_else(|| {
            Error::config("schema registry basic auth must be given as user:password")
        })?;
        Ok(BasicAuth {
            username: username.to_string(),
            password: password.to_string(),
        })
    }
}

impl fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicAuth")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// How long and how often transient registry failures are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// No retry starts after this much time has passed since the first try.
    pub total_time: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            total_time: Duration::from_secs(10),
        }
    }
}

/// Where the schema registry is and how to reach it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryConfig {
    /// One or more base URLs, tried in order.
    pub urls: Vec<String>,
    /// A path between the base URL and the API, such as `/apis/ccompat/v7`.
    pub path_prefix: Option<String>,
    pub basic_auth: Option<BasicAuth>,
    /// A PEM file of CA certificates to trust instead of the system store.
    pub ca_location: Option<PathBuf>,
    /// The limit for one HTTP request.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
}

impl RegistryConfig {
    /// Settings for the given comma-separated URLs with default timeouts.
    pub fn new(urls: &str) -> Result<Self> {
        let urls: Vec<String> = urls
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .collect();
        if urls.is_empty() {
            return Err(Error::config("the schema registry URL is empty"));
        }
        for url in &urls {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(Error::config(format!(
                    "schema registry URL {url:?} must start with http:// or https://"
                )));
            }
        }
        Ok(RegistryConfig {
            urls,
            path_prefix: None,
            basic_auth: None,
            ca_location: None,
            request_timeout: Duration::from_secs(5),
            retry: RetryPolicy::default(),
        })
    }
}

/// Validated settings for reaching the Event Bus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    bootstrap_servers: Vec<String>,
    security_protocol: SecurityProtocol,
    aws: AwsConfig,
    registry: Option<RegistryConfig>,
    ssl_ca_location: Option<PathBuf>,
    enable_idempotence: bool,
    kafka_properties: BTreeMap<String, String>,
}

impl Config {
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Reads the environment variables the Event Bus samples use; see
    /// [`ConfigBuilder::from_lookup`] for the names.
    pub fn from_env() -> Result<Self> {
        ConfigBuilder::from_lookup(|name| std::env::var(name).ok()).build()
    }

    pub fn bootstrap_servers(&self) -> &[String] {
        &self.bootstrap_servers
    }

    pub fn security_protocol(&self) -> SecurityProtocol {
        self.security_protocol
    }

    pub fn aws(&self) -> &AwsConfig {
        &self.aws
    }

    pub fn registry(&self) -> Option<&RegistryConfig> {
        self.registry.as_ref()
    }

    pub fn enable_idempotence(&self) -> bool {
        self.enable_idempotence
    }

    /// A PEM file of CA certificates to trust for the brokers instead of the
    /// system store.
    pub fn ssl_ca_location(&self) -> Option<&std::path::Path> {
        self.ssl_ca_location.as_deref()
    }

    /// The extra librdkafka properties the caller set, as validated.
    pub fn kafka_properties(&self) -> &BTreeMap<String, String> {
        &self.kafka_properties
    }

    /// The librdkafka properties every client needs to reach the brokers:
    /// servers, protocol and SASL mechanism.
    pub fn connection_properties(&self) -> Vec<(String, String)> {
        let mut properties = vec![
            (
                "bootstrap.servers".to_string(),
                self.bootstrap_servers.join(","),
            ),
            (
                "security.protocol".to_string(),
                self.security_protocol.as_str().to_ascii_lowercase(),
            ),
        ];
        if self.security_protocol == SecurityProtocol::SaslSsl {
            properties.extend(
                [
                    ("sasl.mechanisms", "OAUTHBEARER"),
                    // There is no way to turn these off: a private CA is
                    // trusted through ssl_ca_location instead.
                    ("enable.ssl.certificate.verification", "true"),
                    ("ssl.endpoint.identification.algorithm", "https"),
                    // MSK throttles connection storms: back off at least 1 s.
                    ("reconnect.backoff.ms", "1000"),
                    ("reconnect.backoff.max.ms", "10000"),
                ]
                .map(|(k, v)| (k.to_string(), v.to_string())),
            );
            if let Some(ca) = &self.ssl_ca_location {
                properties.push(("ssl.ca.location".to_string(), ca.display().to_string()));
            }
        }
        properties
    }

    /// The full librdkafka property list of a producer: the connection and
    /// the Event Bus rules first, then the caller's extra properties.
    pub fn librdkafka_properties(&self) -> Vec<(String, String)> {
        let mut properties = self.connection_properties();
        properties.push((
            "enable.idempotence".to_string(),
            self.enable_idempotence.to_string(),
        ));
        properties.extend(
            self.kafka_properties
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        properties
    }

    /// The librdkafka client configuration for these settings.
    #[cfg(feature = "kafka")]
    pub fn client_config(&self) -> rdkafka::ClientConfig {
        let mut config = rdkafka::ClientConfig::new();
        for (key, value) in self.librdkafka_properties() {
            config.set(key, value);
        }
        config
    }
}

/// Sets [`Config`] fields in code; [`build`](ConfigBuilder::build) checks them all.
#[derive(Clone, Debug, Default)]
pub struct ConfigBuilder {
    bootstrap_servers: Option<String>,
    security_protocol: Option<String>,
    aws_region: Option<String>,
    role_arn: Option<String>,
    role_session_name: Option<String>,
    sts_region: Option<String>,
    role_external_id: Option<String>,
    ssl_ca_location: Option<PathBuf>,
    registry_url: Option<String>,
    registry_path_prefix: Option<String>,
    registry_basic_auth: Option<String>,
    registry_ca_location: Option<PathBuf>,
    registry_request_timeout: Option<Duration>,
    registry_retry: Option<RetryPolicy>,
    enable_idempotence: Option<bool>,
    kafka_properties: BTreeMap<String, String>,
}

/// Serializer settings from Confluent's clients that people carry over into
/// producer properties. They are not librdkafka properties, and the rules
/// they set are built in here.
const SERIALIZER_SETTINGS: &[&str] = &[
    "schema.registry.url",
    "auto.register.schemas",
    "use.latest.version",
    "use.schema.id",
    "latest.cache.ttl.sec",
    "key.serializer",
    "value.serializer",
];

impl ConfigBuilder {
    /// A builder filled from named variables, as [`Config::from_env`] does:
    ///
    /// | setting | variable (alias) |
    /// |---|---|
    /// | bootstrap servers | `EB_BOOTSTRAP_SERVERS` (`KAFKA_HOST`) |
    /// | security protocol | `EB_SECURITY_PROTOCOL` (`SECURITY_PROTOCOL`), default `SASL_SSL` |
    /// | AWS region | `AWS_REGION` (`AWS_DEFAULT_REGION`), default `us-gov-west-1` |
    /// | role to assume | `AWS_ROLE` (`AWS_ROLE_ARN`) |
    /// | role session name | `AWS_ROLE_SESSION_NAME` |
    /// | STS region | `AWS_STS_REGION` |
    /// | role external id | `AWS_ROLE_EXTERNAL_ID` |
    /// | broker CA file | `EB_SSL_CA_LOCATION` |
    /// | registry URL(s) | `SCHEMA_REGISTRY_URL` |
    /// | registry path prefix | `SCHEMA_REGISTRY_PATH_PREFIX` |
    /// | registry basic auth | `SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO` (`user:password`) |
    /// | registry CA file | `SCHEMA_REGISTRY_CA_LOCATION` |
    /// | idempotence | `EB_ENABLE_IDEMPOTENCE` |
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |names: &[&str]| {
            names
                .iter()
                .find_map(|name| lookup(name).filter(|v| !v.trim().is_empty()))
        };
        ConfigBuilder {
            bootstrap_servers: get(&["EB_BOOTSTRAP_SERVERS", "KAFKA_HOST"]),
            security_protocol: get(&["EB_SECURITY_PROTOCOL", "SECURITY_PROTOCOL"]),
            aws_region: get(&["AWS_REGION", "AWS_DEFAULT_REGION"]),
            role_arn: get(&["AWS_ROLE", "AWS_ROLE_ARN"]),
            role_session_name: get(&["AWS_ROLE_SESSION_NAME"]),
            sts_region: get(&["AWS_STS_REGION"]),
            role_external_id: get(&["AWS_ROLE_EXTERNAL_ID"]),
            ssl_ca_location: get(&["EB_SSL_CA_LOCATION"]).map(PathBuf::from),
            registry_url: get(&["SCHEMA_REGISTRY_URL"]),
            registry_path_prefix: get(&["SCHEMA_REGISTRY_PATH_PREFIX"]),
            registry_basic_auth: get(&["SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO"]),
            registry_ca_location: get(&["SCHEMA_REGISTRY_CA_LOCATION"]).map(PathBuf::from),
            enable_idempotence: get(&["EB_ENABLE_IDEMPOTENCE"])
                .map(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes")),
            ..ConfigBuilder::default()
        }
    }

    /// Comma-separated `host:port` pairs.
    pub fn bootstrap_servers(mut self, servers: impl Into<String>) -> Self {
        self.bootstrap_servers = Some(servers.into());
        self
    }

    /// `SASL_SSL` (the default) or `PLAINTEXT`.
    pub fn security_protocol(mut self, protocol: impl Into<String>) -> Self {
        self.security_protocol = Some(protocol.into());
        self
    }

    pub fn aws_region(mut self, region: impl Into<String>) -> Self {
        self.aws_region = Some(region.into());
        self
    }

    pub fn role_arn(mut self, arn: impl Into<String>) -> Self {
        self.role_arn = Some(arn.into());
        self
    }

    pub fn role_session_name(mut self, name: impl Into<String>) -> Self {
        self.role_session_name = Some(name.into());
        self
    }

    pub fn sts_region(mut self, region: impl Into<String>) -> Self {
        self.sts_region = Some(region.into());
        self
    }

    pub fn role_external_id(mut self, external_id: impl Into<String>) -> Self {
        self.role_external_id = Some(external_id.into());
        self
    }

    /// Trusts the CA certificates in this PEM file for the brokers, instead
    /// of the system trust store (hostnames are still verified).
    pub fn ssl_ca_location(mut self, path: impl Into<PathBuf>) -> Self {
        self.ssl_ca_location = Some(path.into());
        self
    }

    /// One or more comma-separated registry base URLs.
    pub fn schema_registry_url(mut self, url: impl Into<String>) -> Self {
        self.registry_url = Some(url.into());
        self
    }

    pub fn schema_registry_path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.registry_path_prefix = Some(prefix.into());
        self
    }

    /// `user:password` for a registry behind basic authentication.
    pub fn schema_registry_basic_auth(mut self, user_info: impl Into<String>) -> Self {
        self.registry_basic_auth = Some(user_info.into());
        self
    }

    pub fn schema_registry_ca_location(mut self, path: impl Into<PathBuf>) -> Self {
        self.registry_ca_location = Some(path.into());
        self
    }

    pub fn schema_registry_request_timeout(mut self, timeout: Duration) -> Self {
        self.registry_request_timeout = Some(timeout);
        self
    }

    pub fn schema_registry_retry(mut self, retry: RetryPolicy) -> Self {
        self.registry_retry = Some(retry);
        self
    }

    /// Idempotent production needs IAM permissions beyond the Event Bus
    /// producer grant; leave it off unless the Event Bus team added them.
    pub fn enable_idempotence(mut self, enable: bool) -> Self {
        self.enable_idempotence = Some(enable);
        self
    }

    /// An extra librdkafka property (`linger.ms`, `compression.type`, ...).
    pub fn kafka_property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.kafka_properties.insert(key.into(), value.into());
        self
    }

    /// The settings [`ConfigBuilder::setting`] takes by name: the text and
    /// yes-or-no settings, each named as its method here. Bindings take these
    /// by these names, and add only the ones whose values are their host's
    /// own (durations, maps of librdkafka properties).
    pub const SETTINGS: &'static [&'static str] = &[
        "bootstrap_servers",
        "security_protocol",
        "aws_region",
        "role_arn",
        "role_session_name",
        "sts_region",
        "role_external_id",
        "ssl_ca_location",
        "schema_registry_url",
        "schema_registry_path_prefix",
        "schema_registry_basic_auth",
        "schema_registry_ca_location",
        "enable_idempotence",
    ];

    /// Applies one of [`ConfigBuilder::SETTINGS`] by name, from its text:
    /// `"true"` or `"false"` (or `"1"`, `"0"`) for `enable_idempotence`. An unknown name or a
    /// malformed value is a config error naming it, with the builder
    /// dropped; clone it first to keep it.
    pub fn setting(self, name: &str, value: &str) -> Result<Self> {
        Ok(match name {
            "bootstrap_servers" => self.bootstrap_servers(value),
            "security_protocol" => self.security_protocol(value),
            "aws_region" => self.aws_region(value),
            "role_arn" => self.role_arn(value),
            "role_session_name" => self.role_session_name(value),
            "sts_region" => self.sts_region(value),
            "role_external_id" => self.role_external_id(value),
            "ssl_ca_location" => self.ssl_ca_location(value),
            "schema_registry_url" => self.schema_registry_url(value),
            "schema_registry_path_prefix" => self.schema_registry_path_prefix(value),
            "schema_registry_basic_auth" => self.schema_registry_basic_auth(value),
            "schema_registry_ca_location" => self.schema_registry_ca_location(value),
            "enable_idempotence" => match value.trim() {
                "true" | "1" => self.enable_idempotence(true),
                "false" | "0" => self.enable_idempotence(false),
                _ => {
                    return Err(Error::Config(format!(
                        "enable_idempotence must be \"true\" or \"false\", not {value:?}"
                    )));
                }
            },
            _ => {
                return Err(Error::Config(format!(
                    "unknown setting {name:?}; known: {}",
                    Self::SETTINGS.join(", ")
                )));
            }
        })
    }

    /// Checks every setting and applies the Event Bus rules.
    pub fn build(self) -> Result<Config> {
        let security_protocol = match &self.security_protocol {
            Some(value) => SecurityProtocol::parse(value)?,
            None => SecurityProtocol::SaslSsl,
        };
        let bootstrap_servers = parse_bootstrap_servers(self.bootstrap_servers.as_deref())?;

        let aws = self.build_aws()?;
        let registry = self.registry_config()?;
        let (enable_idempotence, kafka_properties) = check_kafka_properties(
            security_protocol,
            self.enable_idempotence,
            self.kafka_properties,
        )?;

        if enable_idempotence {
            tracing::warn!(
                "enable.idempotence=true needs IAM permissions beyond the Event Bus producer \
                 grant; without them the producer fails to initialise"
            );
        }
        if security_protocol == SecurityProtocol::SaslSsl {
            warn_on_unusual_ports(&bootstrap_servers);
        }

        Ok(Config {
            bootstrap_servers,
            security_protocol,
            aws,
            registry,
            ssl_ca_location: self.ssl_ca_location,
            enable_idempotence,
            kafka_properties,
        })
    }

    /// Checks and returns the AWS identity settings alone, without needing
    /// the broker settings (for tools that only sign tokens).
    pub fn build_aws(&self) -> Result<AwsConfig> {
        let region = self
            .aws_region
            .clone()
            .unwrap_or_else(|| DEFAULT_AWS_REGION.to_string());
        check_region(&region, "AWS region")?;
        if let Some(sts_region) = &self.sts_region {
            check_region(sts_region, "STS region")?;
        }
        if let Some(arn) = &self.role_arn {
            check_role_arn(arn)?;
        }
        if let Some(name) = &self.role_session_name {
            check_session_name(name)?;
        }
        Ok(AwsConfig {
            region,
            role_arn: self.role_arn.clone(),
            role_session_name: self.role_session_name.clone(),
            sts_region: self.sts_region.clone(),
            role_external_id: self.role_external_id.clone(),
        })
    }

    fn registry_config(&self) -> Result<Option<RegistryConfig>> {
        let Some(urls) = &self.registry_url else {
            if self.registry_path_prefix.is_some() || self.registry_basic_auth.is_some() {
                return Err(Error::config(
                    "schema registry settings were given without a URL; set SCHEMA_REGISTRY_URL",
                ));
            }
            return Ok(None);
        };
        let mut registry = RegistryConfig::new(urls)?;
        registry.path_prefix = self.registry_path_prefix.clone();
        registry.ca_location = self.registry_ca_location.clone();
        if let Some(timeout) = self.registry_request_timeout {
            registry.request_timeout = timeout;
        }
        if let Some(retry) = self.registry_retry {
            registry.retry = retry;
        }
        if let Some(user_info) = &self.registry_basic_auth {
            registry.basic_auth = Some(BasicAuth::parse(user_info)?);
        }
        Ok(Some(registry))
    }
}

fn parse_bootstrap_servers(value: Option<&str>) -> Result<Vec<String>> {
    let value = value.ok_or_else(|| {
        Error::config(
            "no bootstrap servers; set EB_BOOTSTRAP_SERVERS (or KAFKA_HOST) to the broker list \
             from the Event Catalog",
        )
    })?;
    let servers: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if servers.is_empty() {
        return Err(Error::config("the bootstrap server list is empty"));
    }
    for server in &servers {
        server_port(server)?;
    }
    Ok(servers)
}

/// The port of a `host:port` or `[v6]:port` entry.
fn server_port(server: &str) -> Result<u16> {
    let bad = || {
        Error::config(format!(
            "bootstrap server {server:?} is not host:port (for example b-1.example:9098)"
        ))
    };
    let (host, port) = server.rsplit_once(':').ok_or_else(bad)?;
    if host.is_empty() || host.contains(['/', ' ']) {
        return Err(bad());
    }
    port.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(bad)
}

fn warn_on_unusual_ports(servers: &[String]) {
    for server in servers {
        if let Ok(port) = server_port(server)
            && port != MSK_IAM_PORT_INSIDE_AWS
            && port != MSK_IAM_PORT_OUTSIDE_AWS
        {
            tracing::warn!(
                server = %server,
                "bootstrap port {port} is not an Event Bus IAM port: use \
                 {MSK_IAM_PORT_INSIDE_AWS} from inside AWS or {MSK_IAM_PORT_OUTSIDE_AWS} \
                 from outside"
            );
        }
    }
}

fn check_region(region: &str, what: &str) -> Result<()> {
    let parts: Vec<&str> = region.split('-').collect();
    let well_formed = parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if well_formed {
        Ok(())
    } else {
        Err(Error::config(format!(
            "{what} {region:?} is not an AWS region name such as {DEFAULT_AWS_REGION}"
        )))
    }
}

fn check_role_arn(arn: &str) -> Result<()> {
    let bad = |why: &str| {
        Error::config(format!(
            "role ARN {arn:?} {why}; expected arn:aws-us-gov:iam::123456789012:role/name"
        ))
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || !parts[1].starts_with("aws") || parts[2] != "iam" {
        return Err(bad("is not an IAM ARN"));
    }
    if parts[4].len() != 12 || !parts[4].bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("does not name a 12-digit account"));
    }
    match parts[5].strip_prefix("role/") {
        Some(name) if !name.is_empty() => Ok(()),
        _ => Err(bad("does not name a role")),
    }
}

fn check_session_name(name: &str) -> Result<()> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
    if (2..=64).contains(&name.len()) && name.chars().all(allowed) {
        Ok(())
    } else {
        Err(Error::config(format!(
            "role session name {name:?} must be 2 to 64 characters of letters, digits and _+=,.@-"
        )))
    }
}

/// Rejects extra properties that would undo the Event Bus rules, and folds
/// `enable.idempotence` into the typed setting.
fn check_kafka_properties(
    protocol: SecurityProtocol,
    idempotence: Option<bool>,
    mut properties: BTreeMap<String, String>,
) -> Result<(bool, BTreeMap<String, String>)> {
    let reject = |key: &str, why: &str| Err(Error::config(format!("property {key:?}: {why}")));
    for (key, value) in &properties {
        let value = value.trim();
        match key.as_str() {
            "bootstrap.servers" | "metadata.broker.list" => {
                return reject(
                    key,
                    "set the bootstrap servers with EB_BOOTSTRAP_SERVERS or bootstrap_servers",
                );
            }
            "security.protocol" => {
                return reject(
                    key,
                    "set the protocol with EB_SECURITY_PROTOCOL or security_protocol",
                );
            }
            "sasl.mechanism" | "sasl.mechanisms" => {
                if protocol != SecurityProtocol::SaslSsl {
                    return reject(key, "SASL settings have no effect with PLAINTEXT");
                }
                if !value.eq_ignore_ascii_case("OAUTHBEARER") {
                    return reject(
                        key,
                        &format!(
                            "the Event Bus authenticates with AWS IAM over OAUTHBEARER, not {value}"
                        ),
                    );
                }
            }
            "sasl.oauthbearer.method" if !value.eq_ignore_ascii_case("default") => {
                return reject(
                    key,
                    "the MSK IAM token is produced by this library, not by OIDC",
                );
            }
            "enable.ssl.certificate.verification" if value.eq_ignore_ascii_case("false") => {
                return reject(
                    key,
                    "certificate verification cannot be turned off; trust a private CA instead",
                );
            }
            "ssl.endpoint.identification.algorithm" if !value.eq_ignore_ascii_case("https") => {
                return reject(key, "hostname verification cannot be turned off");
            }
            "enable.idempotence" => match value.to_ascii_lowercase().as_str() {
                "true" | "false" => {}
                _ => return reject(key, "must be true or false"),
            },
            _ if SERIALIZER_SETTINGS.contains(&key.as_str()) => {
                return reject(
                    key,
                    "this is a serializer setting of Confluent's clients, not a librdkafka \
                     property; eventbus pins schema ids itself and never registers or uses \
                     the latest version",
                );
            }
            _ => {}
        }
    }
    let from_properties = properties
        .remove("enable.idempotence")
        .map(|v| v.trim().eq_ignore_ascii_case("true"));
    if let (Some(typed), Some(property)) = (idempotence, from_properties)
        && typed != property
    {
        return Err(Error::config(
            "enable.idempotence is set twice with different values",
        ));
    }
    let enable_idempotence = idempotence.or(from_properties).unwrap_or(false);
    properties.remove("sasl.mechanism");
    properties.remove("sasl.mechanisms");
    Ok((enable_idempotence, properties))
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
