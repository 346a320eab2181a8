//! Where the AWS credentials that sign MSK IAM tokens come from, and the
//! [`TokenProvider`] that turns them into tokens on demand.
//!
//! Credentials come from the AWS default chain (environment, shared
//! profile, web identity, container and instance metadata), optionally used
//! to assume a role through STS at the regional endpoint of the configured
//! STS region, or from a provider of the caller's own. They are kept until
//! shortly before they expire.
//!
//! The AWS SDK is asynchronous; librdkafka asks for tokens on a thread of
//! its own and waits for the answer. The provider therefore owns a small
//! runtime and hands each lookup to it, so it can be called from any
//! thread, including one inside the caller's own async runtime.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::ProvideCredentials as _;

use super::token::{AwsCredentials, MskIamToken, describe_time};
use crate::config::AwsConfig;
use crate::error::{Error, Result};

/// Credentials are fetched again when they have less than this left.
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// How long one credentials lookup may take.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(15);

/// How long an assumed-role session lasts (the STS default).
const ROLE_SESSION_DURATION: i32 = 3600;

/// A source of AWS credentials of the caller's own.
pub trait ProvideCredentials: Send + Sync {
    fn credentials(&self) -> Result<AwsCredentials>;
}

/// The time, as the provider sees it; replaceable so tests can pin it.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

enum Source {
    Chain(aws_credential_types::provider::SharedCredentialsProvider),
    AssumeRole {
        client: aws_sdk_sts::Client,
        role_arn: String,
        session_name: String,
        external_id: Option<String>,
    },
    Custom(Arc<dyn ProvideCredentials>),
}

/// The identity behind a set of credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

/// Builds MSK IAM tokens for one region from one source of credentials.
pub struct TokenProvider {
    region: String,
    source: Source,
    runtime: Option<tokio::runtime::Runtime>,
    cached: Mutex<Option<AwsCredentials>>,
    clock: Clock,
}

impl fmt::Debug for TokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Chain(_) => "default chain".to_string(),
            Source::AssumeRole { role_arn, .. } => format!("assumed role {role_arn}"),
            Source::Custom(_) => "custom provider".to_string(),
        };
        f.debug_struct("TokenProvider")
            .field("region", &self.region)
            .field("source", &source)
            .finish_non_exhaustive()
    }
}

impl TokenProvider {
    /// A provider for the Event Bus identity in `aws`: the default chain,
    /// and the configured role if there is one.
    pub fn from_config(aws: &AwsConfig) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("eventbus-aws")
            .enable_all()
            .build()
            .map_err(|err| Error::config(format!("cannot start the AWS client runtime: {err}")))?;
        let region = aws.region.clone();
        let sts_region = aws.sts_region.clone().unwrap_or_else(|| region.clone());
        let role = aws.role_arn.clone().map(|arn| {
            let session = aws
                .role_session_name
                .clone()
                .unwrap_or_else(default_session_name);
            (arn, session, aws.role_external_id.clone())
        });

        let source = run_on(&runtime, async move {
            let chain =
                aws_config::default_provider::credentials::DefaultCredentialsChain::builder()
                    .region(aws_config::Region::new(sts_region.clone()))
                    .build()
                    .await;
            let chain = aws_credential_types::provider::SharedCredentialsProvider::new(chain);
            match role {
                None => Source::Chain(chain),
                Some((role_arn, session_name, external_id)) => {
                    // The STS client is built here rather than by a role
                    // provider so that its region and endpoint are exactly
                    // the configured ones: a regional endpoint, never the
                    // global one by accident, and AWS_ENDPOINT_URL_STS when set.
                    let mut sts = aws_sdk_sts::config::Builder::new()
                        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
                        .region(aws_sdk_sts::config::Region::new(sts_region))
                        .credentials_provider(chain);
                    if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL_STS") {
                        sts = sts.endpoint_url(endpoint);
                    }
                    Source::AssumeRole {
                        client: aws_sdk_sts::Client::from_conf(sts.build()),
                        role_arn,
                        session_name,
                        external_id,
                    }
                }
            }
        })?;
        Ok(TokenProvider {
            region,
            source,
            runtime: Some(runtime),
            cached: Mutex::new(None),
            clock: Arc::new(SystemTime::now),
        })
    }

    /// A provider over credentials of the caller's own.
    pub fn with_credentials(region: &str, provider: Arc<dyn ProvideCredentials>) -> Self {
        TokenProvider {
            region: region.to_string(),
            source: Source::Custom(provider),
            runtime: None,
            cached: Mutex::new(None),
            clock: Arc::new(SystemTime::now),
        }
    }

    /// Replaces the clock, for tests that pin the time.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// A fresh token, from cached credentials while they last.
    pub fn token(&self) -> Result<MskIamToken> {
        let now = (self.clock)();
        let credentials = self.credentials(now)?;
        MskIamToken::build(&credentials, &self.region, now)
    }

    /// The current credentials, fetched again when they are close to expiry.
    pub fn credentials(&self, now: SystemTime) -> Result<AwsCredentials> {
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(credentials) = cached.as_ref() {
            let fresh = credentials
                .expires_at
                .is_none_or(|expiry| expiry > now + REFRESH_MARGIN);
            if fresh {
                return Ok(credentials.clone());
            }
        }
        let credentials = self.fetch()?;
        tracing::info!(
            access_key_id = %credentials.access_key_id,
            expires_at = credentials.expires_at.map(describe_time),
            "AWS credentials refreshed"
        );
        *cached = Some(credentials.clone());
        Ok(credentials)
    }

    fn fetch(&self) -> Result<AwsCredentials> {
        match &self.source {
            Source::Custom(provider) => provider.credentials(),
            Source::Chain(chain) => {
                let chain = chain.clone();
                let fetched = self.run(async move { chain.provide_credentials().await })?;
                fetched.map(from_sdk).map_err(|err| {
                    Error::Auth(format!(
                        "no AWS credentials found ({}); set AWS_ACCESS_KEY_ID and \
                         AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run where an IAM role is attached",
                        error_chain(&err)
                    ))
                })
            }
            Source::AssumeRole {
                client,
                role_arn,
                session_name,
                external_id,
            } => {
                let request = client
                    .assume_role()
                    .role_arn(role_arn)
                    .role_session_name(session_name)
                    .set_external_id(external_id.clone())
                    .duration_seconds(ROLE_SESSION_DURATION);
                let answer = self.run(async move { request.send().await })?;
                let output = answer.map_err(|err| {
                    sts_error(&err, || {
                        format!(
                            "assuming role {role_arn} failed ({}); check that the base \
                             credentials may assume it and that AWS_STS_REGION names its \
                             partition's region",
                            error_chain(&err)
                        )
                    })
                })?;
                let credentials = output.credentials().ok_or_else(|| {
                    Error::Auth(format!("STS returned no credentials for role {role_arn}"))
                })?;
                Ok(AwsCredentials::new(
                    credentials.access_key_id(),
                    credentials.secret_access_key(),
                    Some(credentials.session_token().to_string()),
                    SystemTime::try_from(*credentials.expiration()).ok(),
                ))
            }
        }
    }

    /// Who the current credentials belong to, as STS `GetCallerIdentity`
    /// says: the first thing to check when the brokers refuse a token.
    pub fn caller_identity(&self) -> Result<CallerIdentity> {
        let credentials = self.credentials((self.clock)())?;
        let region = self.region.clone();
        let answer = self.run(async move {
            let provider = aws_credential_types::Credentials::new(
                credentials.access_key_id.clone(),
                credentials.secret_access_key().to_string(),
                credentials.session_token().map(str::to_owned),
                credentials.expires_at,
                "eventbus",
            );
            let mut sts = aws_sdk_sts::config::Builder::new()
                .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
                .region(aws_sdk_sts::config::Region::new(region))
                .credentials_provider(provider);
            if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL_STS") {
                sts = sts.endpoint_url(endpoint);
            }
            aws_sdk_sts::Client::from_conf(sts.build())
                .get_caller_identity()
                .send()
                .await
        })?;
        let output = answer.map_err(|err| {
            Error::Auth(format!(
                "STS GetCallerIdentity failed: {}",
                error_chain(&err)
            ))
        })?;
        Ok(CallerIdentity {
            account: output.account().unwrap_or_default().to_string(),
            arn: output.arn().unwrap_or_default().to_string(),
            user_id: output.user_id().unwrap_or_default().to_string(),
        })
    }

    fn run<F>(&self, future: F) -> Result<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match &self.runtime {
            Some(runtime) => run_on(runtime, future),
            None => Err(Error::config("this token provider has no AWS runtime")),
        }
    }
}

/// Runs `future` on `runtime` and waits for it on the calling thread,
/// without entering the runtime there.
fn run_on<F>(runtime: &tokio::runtime::Runtime, future: F) -> Result<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (sender, receiver) = std::sync::mpsc::channel();
    runtime.spawn(async move {
        let _ = sender.send(future.await);
    });
    receiver.recv_timeout(LOOKUP_TIMEOUT).map_err(|_| {
        Error::Timeout(format!(
            "no AWS credentials within {} s; check the network path to STS or the instance \
             metadata service",
            LOOKUP_TIMEOUT.as_secs()
        ))
    })
}

/// An STS failure as our error: a request that never got an answer is a
/// `timeout` (the network path to STS), an answer that refused is `auth`.
fn sts_error<E, R>(
    err: &aws_sdk_sts::error::SdkError<E, R>,
    refused: impl FnOnce() -> String,
) -> Error
where
    E: std::error::Error + 'static,
    R: fmt::Debug,
{
    use aws_sdk_sts::error::SdkError;
    match err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => Error::Timeout(format!(
            "STS did not answer ({}); check the network path to the STS endpoint",
            error_chain(err)
        )),
        _ => Error::Auth(refused()),
    }
}

fn from_sdk(credentials: aws_credential_types::Credentials) -> AwsCredentials {
    AwsCredentials::new(
        credentials.access_key_id(),
        credentials.secret_access_key(),
        credentials.session_token().map(str::to_owned),
        credentials.expiry(),
    )
}

/// An error and its causes on one line; the SDK's top-level messages alone
/// are often just "dispatch failure".
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// A role session name that stays the same for the life of the process:
/// MSK refuses a principal that changes on re-authentication.
fn default_session_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    let name: String = format!("eventbus-{host}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    name
}
