//! Where the schema registry and the brokers are: the `--registry*` flags,
//! each falling back to the same environment variable the core library and
//! Confluent's clients read, and the broker settings the core reads from the
//! environment, with `--bootstrap-servers` and `--security-protocol` on top.
//! Basic-auth credentials come from the environment only, so they never show
//! in `ps` or shell history. The AWS identity for MSK IAM tokens comes from
//! the `AWS_*` variables the core reads, on their own for `token`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use eventbus::config::{AwsConfig, BasicAuth, RegistryConfig};
use eventbus::{Config, ConfigBuilder, RegistryClient};

use crate::failure::Failure;

const BASIC_AUTH_VARIABLE: &str = "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO";

#[derive(Args, Debug)]
pub struct RegistryArgs {
    /// Schema registry base URL(s), comma-separated, tried in order
    #[arg(long = "registry", value_name = "URL", env = "SCHEMA_REGISTRY_URL")]
    pub url: Option<String>,

    /// Path between the base URL and the registry API, such as /apis/ccompat/v7
    #[arg(long, value_name = "PATH", env = "SCHEMA_REGISTRY_PATH_PREFIX")]
    pub registry_path_prefix: Option<String>,

    /// PEM file of CA certificates to trust for the registry instead of the system store
    #[arg(long, value_name = "FILE", env = "SCHEMA_REGISTRY_CA_LOCATION")]
    pub registry_ca_location: Option<PathBuf>,
}

impl RegistryArgs {
    /// A client for the configured registry, or `None` when no URL is set.
    pub fn client(&self) -> Result<Option<RegistryClient>, Failure> {
        let user_info = std::env::var(BASIC_AUTH_VARIABLE).ok();
        match self.config(user_info.as_deref())? {
            Some(config) => Ok(Some(RegistryClient::new(&config)?)),
            None => Ok(None),
        }
    }

    /// Like [`client`](Self::client), for commands that cannot work without one.
    pub fn required_client(&self, why: &str) -> Result<RegistryClient, Failure> {
        self.client()?.ok_or_else(|| {
            Failure::fatal(format!(
                "{why} needs a schema registry: give --registry URL or set SCHEMA_REGISTRY_URL"
            ))
        })
    }

    fn config(&self, user_info: Option<&str>) -> Result<Option<RegistryConfig>, Failure> {
        let Some(urls) = non_blank(&self.url) else {
            return Ok(None);
        };
        let mut config = RegistryConfig::new(urls)?;
        config.path_prefix = non_blank(&self.registry_path_prefix).map(str::to_owned);
        config.ca_location = self.registry_ca_location.clone();
        if let Some(user_info) = user_info.filter(|v| !v.trim().is_empty()) {
            config.basic_auth = Some(BasicAuth::parse(user_info)?);
        }
        Ok(Some(config))
    }
}

#[derive(Args, Debug)]
pub struct BrokerArgs {
    /// Broker list, comma-separated host:port pairs [default: EB_BOOTSTRAP_SERVERS, or KAFKA_HOST]
    #[arg(long, value_name = "HOST:PORT,...")]
    pub bootstrap_servers: Option<String>,

    /// SASL_SSL (the Event Bus, with AWS IAM) or PLAINTEXT (a local broker) [default:
    /// EB_SECURITY_PROTOCOL, or SASL_SSL]
    #[arg(long, value_name = "PROTOCOL")]
    pub security_protocol: Option<String>,
}

impl BrokerArgs {
    /// The core's configuration read from the environment exactly as the
    /// library reads it, with the broker flags and the registry flags laid
    /// over it, so the two never disagree about where the registry is.
    pub fn config(&self, registry: &RegistryArgs) -> Result<Config, Failure> {
        Ok(self.builder(registry).build()?)
    }

    /// The builder behind [`config`](Self::config), for a command that sets
    /// more before building or reports a failed build its own way.
    pub fn builder(&self, registry: &RegistryArgs) -> ConfigBuilder {
        let mut builder = ConfigBuilder::from_lookup(|name| std::env::var(name).ok());
        if let Some(servers) = non_blank(&self.bootstrap_servers) {
            builder = builder.bootstrap_servers(servers);
        }
        if let Some(protocol) = non_blank(&self.security_protocol) {
            builder = builder.security_protocol(protocol);
        }
        if let Some(url) = non_blank(&registry.url) {
            builder = builder.schema_registry_url(url);
        }
        if let Some(prefix) = non_blank(&registry.registry_path_prefix) {
            builder = builder.schema_registry_path_prefix(prefix);
        }
        if let Some(path) = &registry.registry_ca_location {
            builder = builder.schema_registry_ca_location(path);
        }
        builder
    }
}

/// The AWS identity that signs MSK IAM tokens, read from the same `AWS_*`
/// variables the core reads for a producer, with `region` laid over them.
/// Only those variables are read: the broker and registry settings need not
/// be set, and a mistake in them does not stop a look at the token.
pub fn aws_config(region: Option<&str>) -> Result<AwsConfig, Failure> {
    let aws_only = |name: &str| {
        name.starts_with("AWS_")
            .then(|| std::env::var(name).ok())
            .flatten()
    };
    let mut builder = ConfigBuilder::from_lookup(aws_only);
    if let Some(region) = region {
        builder = builder.aws_region(region);
    }
    Ok(builder.build_aws()?)
}

/// Parses a number of seconds such as `30` or `0.5` for the time-limit flags.
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| format!("{text:?} is not a number of seconds from 0 up"))
}

/// An environment variable set to an empty string counts as unset, as in the core.
fn non_blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}
