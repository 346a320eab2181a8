//! The librdkafka client context: delivery reports resolve their handles,
//! and librdkafka's own log lines and errors go to `tracing`.

use std::sync::Arc;

use rdkafka::ClientContext;
use rdkafka::client::OAuthToken;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{DeliveryResult, ProducerContext};

use super::delivery::{DeliverySlot, InFlight, SlotPool, Written};
use crate::connection::Connection;
use crate::error::Error;

pub(crate) struct EventBusContext {
    pub(crate) connection: Connection,
    /// Messages handed to librdkafka whose report has not arrived.
    pub(crate) in_flight: Arc<InFlight>,
    pub(crate) slots: Arc<SlotPool>,
}

impl ClientContext for EventBusContext {
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

impl ProducerContext for EventBusContext {
    type DeliveryOpaque = Arc<DeliverySlot>;

    fn delivery(&self, result: &DeliveryResult<'_>, slot: Arc<DeliverySlot>) {
        let outcome = match result {
            Ok(message) => {
                self.connection.authenticated();
                Ok(Written {
                    partition: message.partition(),
                    offset: message.offset(),
                    timestamp: message.timestamp().to_millis(),
                })
            }
            Err((error, message)) => {
                tracing::warn!(
                    topic = message.topic(),
                    partition = message.partition(),
                    %error,
                    "delivery failed"
                );
                // A message that timed out while the brokers refused our
                // credentials failed because of them: say so.
                Err(self
                    .connection
                    .auth_failure()
                    .unwrap_or_else(|| delivery_error(error)))
            }
        };
        slot.complete(outcome);
        self.slots.give_back(slot);
        // Only now, with the outcome handed over (and a callback on the slot
        // run), is the message no longer in flight: `flush` and `close`
        // return once the count is zero, and by then every callback of the
        // messages they waited for must have run.
        self.in_flight.settle();
    }
}

/// A librdkafka failure as our error, with whether sending the same message
/// again may succeed.
pub(crate) fn delivery_error(error: &KafkaError) -> Error {
    let retriable = error.rdkafka_error_code().is_some_and(is_retriable);
    let hint = match error.rdkafka_error_code() {
        Some(RDKafkaErrorCode::MessageTimedOut) => {
            "; the brokers did not acknowledge it within message.timeout.ms"
        }
        Some(RDKafkaErrorCode::PurgeQueue | RDKafkaErrorCode::PurgeInflight) => {
            "; the producer was closed or dropped before the message was acknowledged"
        }
        Some(RDKafkaErrorCode::TopicAuthorizationFailed) => {
            "; the IAM role lacks permission to write to this topic"
        }
        Some(RDKafkaErrorCode::MessageSizeTooLarge) => {
            "; the message is larger than the topic accepts"
        }
        _ => "",
    };
    Error::Delivery {
        reason: format!("{error}{hint}"),
        retriable,
    }
}

fn is_retriable(code: RDKafkaErrorCode) -> bool {
    use RDKafkaErrorCode as Code;
    matches!(
        code,
        Code::MessageTimedOut
            | Code::QueueFull
            | Code::PurgeQueue
            | Code::PurgeInflight
            | Code::AllBrokersDown
            | Code::BrokerTransportFailure
            | Code::RequestTimedOut
            | Code::NetworkException
            | Code::LeaderNotAvailable
            | Code::NotLeaderForPartition
            | Code::NotEnoughReplicas
            | Code::NotEnoughReplicasAfterAppend
            | Code::UnknownTopicOrPartition
            | Code::PreferredLeaderNotAvailable
    )
}
