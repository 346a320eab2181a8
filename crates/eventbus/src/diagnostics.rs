//! Questions `eventbus doctor` asks of the brokers: can we authenticate,
//! which brokers does the cluster list, and does each topic exist.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::ClientContext;
use rdkafka::client::OAuthToken;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError;
use rdkafka::producer::{DeliveryResult, Producer as _, ProducerContext, ThreadedProducer};

use crate::config::Config;
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::iam::TokenProvider;

/// What the cluster said about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterMetadata {
    /// `(id, host, port)` of each broker.
    pub brokers: Vec<(i32, String, i32)>,
    pub topics: Vec<TopicMetadata>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicMetadata {
    pub name: String,
    pub partitions: usize,
    /// The broker's error for this topic, such as an unknown topic or a
    /// missing permission.
    pub error: Option<String>,
}

struct ProbeContext {
    connection: Connection,
}

impl ProducerContext for ProbeContext {
    type DeliveryOpaque = ();

    fn delivery(&self, _: &DeliveryResult<'_>, _: ()) {}
}

impl ClientContext for ProbeContext {
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = true;

    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        self.connection.log(level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.connection.error(error, reason);
    }

    fn generate_oauth_token(
        &self,
        _config: Option<&str>,
    ) -> std::result::Result<OAuthToken, Box<dyn std::error::Error>> {
        self.connection.oauth_token()
    }
}

/// Connects (authenticating with `SASL_SSL`) and fetches metadata for
/// `topics`. A refused authentication is an `auth` error with the broker's
/// reason; no answer within `timeout` is a `timeout` error.
pub fn cluster_metadata(
    config: &Config,
    tokens: Option<Arc<TokenProvider>>,
    topics: &[String],
    timeout: Duration,
) -> Result<ClusterMetadata> {
    let mut client_config = rdkafka::ClientConfig::new();
    for (key, value) in config.connection_properties() {
        client_config.set(key, value);
    }
    let context = ProbeContext {
        connection: Connection::new(config, tokens)?,
    };
    // A threaded producer, because its polling thread is what serves
    // librdkafka's token refresh while we wait for metadata.
    let producer: ThreadedProducer<ProbeContext> = client_config
        .create_with_context(context)
        .map_err(|err| Error::config(format!("librdkafka refused the settings: {err}")))?;
    let (client, context) = (producer.client(), producer.context());

    let mut found = Vec::new();
    let mut brokers = Vec::new();
    let requests: Vec<Option<&str>> = if topics.is_empty() {
        vec![None]
    } else {
        topics.iter().map(|t| Some(t.as_str())).collect()
    };
    for topic in requests {
        let metadata = client.fetch_metadata(topic, timeout).map_err(|err| {
            context.connection.auth_failure().unwrap_or_else(|| {
                Error::Timeout(format!(
                    "no metadata from the brokers within {} s: {err}",
                    timeout.as_secs()
                ))
            })
        })?;
        brokers = metadata
            .brokers()
            .iter()
            .map(|b| (b.id(), b.host().to_string(), b.port()))
            .collect();
        found.extend(
            metadata
                .topics()
                .iter()
                .filter(|t| topic.is_some_and(|name| name == t.name()))
                .map(|t| TopicMetadata {
                    name: t.name().to_string(),
                    partitions: t.partitions().len(),
                    error: t
                        .error()
                        .map(|e| format!("{:?}", rdkafka::error::RDKafkaErrorCode::from(e))),
                }),
        );
    }
    Ok(ClusterMetadata {
        brokers,
        topics: found,
    })
}
