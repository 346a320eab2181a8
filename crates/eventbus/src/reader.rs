//! [`TopicReader`]: reads back what was produced to a topic, for checking
//! and debugging (the CLI's `consume`, and the end-to-end tests). It assigns
//! every partition directly and commits nothing, so it never joins or
//! disturbs a consumer group.

use std::time::Duration;

use rdkafka::ClientContext;
use rdkafka::client::OAuthToken;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::message::{Headers, Message};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use crate::config::Config;
use crate::connection::Connection;
use crate::error::{Error, Result};

/// Where a reader starts in each partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartAt {
    Beginning,
    /// Only messages written after the reader opened.
    End,
}

/// One message as read from the topic, with its raw framed key and value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadMessage {
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Vec<u8>)>,
}

struct ReaderContext {
    connection: Connection,
}

impl ClientContext for ReaderContext {
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

impl ConsumerContext for ReaderContext {}

/// Reads one topic's partitions in offset order.
pub struct TopicReader {
    consumer: BaseConsumer<ReaderContext>,
    topic: String,
}

impl TopicReader {
    /// Opens `topic` and assigns all of its partitions at `start`.
    pub fn open(config: &Config, topic: &str, start: StartAt, timeout: Duration) -> Result<Self> {
        let mut client_config = rdkafka::ClientConfig::new();
        for (key, value) in config.connection_properties() {
            client_config.set(key, value);
        }
        client_config
            .set("group.id", "eventbus-reader")
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false");
        let context = ReaderContext {
            connection: Connection::new(config, None)?,
        };
        let consumer: BaseConsumer<ReaderContext> = client_config
            .create_with_context(context)
            .map_err(|err| Error::config(format!("librdkafka refused the settings: {err}")))?;

        // Serves librdkafka's first token refresh, which arrives through the
        // queue that polling drains; metadata cannot be fetched before it.
        let _ = consumer.poll(Duration::from_millis(100));
        let metadata = consumer
            .fetch_metadata(Some(topic), timeout)
            .map_err(|err| {
                consumer
                    .context()
                    .connection
                    .auth_failure()
                    .unwrap_or_else(|| {
                        Error::Timeout(format!("no metadata for topic {topic:?}: {err}"))
                    })
            })?;
        let partitions: Vec<i32> = metadata
            .topics()
            .iter()
            .filter(|t| t.name() == topic && t.error().is_none())
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect();
        if partitions.is_empty() {
            return Err(Error::config(format!(
                "topic {topic:?} does not exist or has no partitions"
            )));
        }
        let offset = match start {
            StartAt::Beginning => Offset::Beginning,
            StartAt::End => Offset::End,
        };
        let mut assignment = TopicPartitionList::new();
        for partition in partitions {
            assignment
                .add_partition_offset(topic, partition, offset)
                .map_err(|err| Error::config(format!("cannot assign {topic:?}: {err}")))?;
        }
        consumer
            .assign(&assignment)
            .map_err(|err| Error::config(format!("cannot assign {topic:?}: {err}")))?;
        Ok(TopicReader {
            consumer,
            topic: topic.to_string(),
        })
    }

    /// The next message, or `None` if none arrives within `timeout`.
    pub fn next(&self, timeout: Duration) -> Result<Option<ReadMessage>> {
        match self.consumer.poll(timeout) {
            None => Ok(None),
            Some(Err(err)) => Err(Error::Timeout(format!(
                "reading topic {:?} failed: {err}",
                self.topic
            ))),
            Some(Ok(message)) => Ok(Some(ReadMessage {
                partition: message.partition(),
                offset: message.offset(),
                timestamp: message.timestamp().to_millis(),
                key: message.key().map(<[u8]>::to_vec),
                value: message.payload().map(<[u8]>::to_vec),
                headers: message
                    .headers()
                    .map(|headers| {
                        headers
                            .iter()
                            .map(|h| (h.key.to_string(), h.value.unwrap_or_default().to_vec()))
                            .collect()
                    })
                    .unwrap_or_default(),
            })),
        }
    }
}
