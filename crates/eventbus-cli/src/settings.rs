//! Where the schema registry is: the `--registry*` flags, each falling back
//! to the same environment variable the core library and Confluent's
//! clients read. Basic-auth credentials come from the environment only, so
//! they never show in `ps` or shell history.

use std::path::PathBuf;

use clap::Args;
use eventbus::RegistryClient;
use eventbus::config::{BasicAuth, RegistryConfig};

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

/// An environment variable set to an empty string counts as unset, as in the core.
fn non_blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}
