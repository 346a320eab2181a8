//! What every librdkafka client of ours shares, producer or reader: the
//! MSK IAM token callback, librdkafka's log lines and errors in `tracing`,
//! and the last authentication failure the brokers reported, so that a
//! rejected credential surfaces as an `auth` error with the broker's reason
//! rather than as a timeout.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::UNIX_EPOCH;

use rdkafka::client::OAuthToken;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

use crate::config::{Config, SecurityProtocol};
use crate::error::{Error, Result};
use crate::iam::{PRINCIPAL, TokenProvider};

/// The authentication side of a client.
pub(crate) struct Connection {
    tokens: Option<Arc<TokenProvider>>,
    auth_failure: Mutex<Option<String>>,
    /// Whether `auth_failure` holds a reason: every delivery report clears
    /// a past failure, and reading this flag costs it no lock.
    failed: AtomicBool,
}

impl Connection {
    /// A connection for `config`: with `SASL_SSL`, tokens from `tokens`, or
    /// from the configured AWS identity.
    pub(crate) fn new(config: &Config, tokens: Option<Arc<TokenProvider>>) -> Result<Self> {
        let tokens = match (config.security_protocol(), tokens) {
            (SecurityProtocol::Plaintext, _) => None,
            (SecurityProtocol::SaslSsl, Some(tokens)) => Some(tokens),
            (SecurityProtocol::SaslSsl, None) => {
                Some(Arc::new(TokenProvider::from_config(config.aws())?))
            }
        };
        Ok(Connection {
            tokens,
            auth_failure: Mutex::new(None),
            failed: AtomicBool::new(false),
        })
    }

    /// librdkafka's token refresh: a new MSK IAM token. A failure is logged
    /// with its cause; librdkafka asks again after a pause, so a missing
    /// credential never turns into a hot loop.
    pub(crate) fn oauth_token(
        &self,
    ) -> std::result::Result<OAuthToken, Box<dyn std::error::Error>> {
        let Some(tokens) = &self.tokens else {
            return Err("OAUTHBEARER needs AWS credentials, and none are configured".into());
        };
        match tokens.token() {
            Ok(token) => {
                let lifetime_ms = token
                    .expires_at()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or_default();
                tracing::info!(
                    access_key_id = token.access_key_id(),
                    expires_at = %crate::iam::describe_time(token.expires_at()),
                    "MSK IAM token refreshed"
                );
                Ok(OAuthToken {
                    token: token.value().to_string(),
                    principal_name: PRINCIPAL.to_string(),
                    lifetime_ms,
                })
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot make an MSK IAM token; retrying shortly");
                Err(Box::new(err))
            }
        }
    }

    pub(crate) fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error => {
                tracing::error!(target: "librdkafka", facility, "{message}")
            }
            RDKafkaLogLevel::Warning => tracing::warn!(target: "librdkafka", facility, "{message}"),
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                tracing::info!(target: "librdkafka", facility, "{message}")
            }
            RDKafkaLogLevel::Debug => tracing::debug!(target: "librdkafka", facility, "{message}"),
        }
    }

    pub(crate) fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::Authentication) {
            tracing::error!(target: "librdkafka", "broker refused authentication: {reason}");
            let mut failure = self.lock_failure();
            *failure = Some(reason.to_string());
            self.failed.store(true, Ordering::Release);
        } else {
            tracing::warn!(target: "librdkafka", %error, "{reason}");
        }
    }

    /// Forgets a past authentication failure once the brokers accept us.
    pub(crate) fn authenticated(&self) {
        if !self.failed.load(Ordering::Acquire) {
            return;
        }
        let mut failure = self.lock_failure();
        *failure = None;
        self.failed.store(false, Ordering::Release);
    }

    /// The last authentication failure, as an `auth` error.
    pub(crate) fn auth_failure(&self) -> Option<Error> {
        self.lock_failure().as_ref().map(|reason| {
            Error::Auth(format!(
                "the brokers refused our credentials: {reason}; check the AWS identity with \
                 `eventbus doctor` and that it is granted access to the cluster"
            ))
        })
    }

    fn lock_failure(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.auth_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
