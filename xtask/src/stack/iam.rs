//! AWS MSK IAM authentication on the local broker: the SASL_SSL listener's
//! settings, the region the cluster pretends to be in, the static test
//! identity, and the credentials file the token validator reads.
//!
//! The validator itself is Java (see [`super::validator`]); the local STS that
//! issues temporary credentials is moto (see [`super::sts`]); the certificate
//! is made in [`super::tls`]. The broker wires them together in
//! [`super::kafka`].
//!
//! `target/stack/iam/credentials` lists the access keys the broker accepts,
//! `<access key id>=<secret access key>[ <session token>]` a line. The
//! validator reads it at every authentication, so a test can add or remove a
//! key while the broker runs (write a new file and rename it over the old
//! one). Each broker start puts the static test identity back if it is
//! missing; other lines are kept.

use std::fs;
use std::io;
use std::path::PathBuf;

use super::tls::{self, TlsFiles};
use super::{Ports, StackHome, create_dir, sts, validator, write_file};

/// The region the validator expects tokens to be signed for, and the one a
/// client should sign for: the Event Bus runs in AWS GovCloud (US-West).
pub const REGION: &str = "us-gov-west-1";

/// A long-term access key the broker always accepts, for tests that do not
/// exercise the STS. Made-up, like its secret.
pub const TEST_ACCESS_KEY_ID: &str = "AKIAEVENTBUSTEST0001";
pub const TEST_SECRET_ACCESS_KEY: &str = "EventBusLocalStackTestSecret/00000000001";

/// How long a SASL_SSL session lasts before the client must re-authenticate,
/// unless its token expires sooner. `EVENTBUS_STACK_REAUTH_MS` overrides it;
/// a few seconds make re-authentication happen within a test.
pub const DEFAULT_REAUTH_MS: u64 = 3_600_000;
pub const REAUTH_MS_VARIABLE: &str = "EVENTBUS_STACK_REAUTH_MS";

/// The broker properties the validator reads in its `configure`.
const REGION_PROPERTY: &str = "eventbus.msk.iam.region";
const CREDENTIALS_FILE_PROPERTY: &str = "eventbus.msk.iam.credentials.file";
const STS_ENDPOINT_PROPERTY: &str = "eventbus.msk.iam.sts.endpoint";

const CREDENTIALS_FILE_HEADER: &str = "\
# Access keys the local broker's SASL_SSL listener accepts in MSK IAM tokens,
# one per line: <access key id>=<secret access key>[ <session token>]
# Read at every authentication; replace the file (write, then rename) to change
# it while the broker runs. Temporary keys (ASIA...) that are not listed here
# are looked up in the local STS (moto).
";

pub fn credentials_file(home: &StackHome) -> PathBuf {
    home.root().join("iam").join("credentials")
}

pub fn reauth_ms_from_env() -> Result<u64, String> {
    match std::env::var(REAUTH_MS_VARIABLE) {
        Ok(value) => value.trim().parse::<u64>().map_err(|_| {
            format!(
                "{REAUTH_MS_VARIABLE}={value:?} is not a number of milliseconds \
                 (0 turns re-authentication off)"
            )
        }),
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_REAUTH_MS),
        Err(err) => Err(format!("{REAUTH_MS_VARIABLE}: {err}")),
    }
}

/// Writes the credentials file with the static test identity, or puts the
/// identity back into the file if a test removed or changed it.
pub fn ensure_credentials_file(home: &StackHome) -> Result<(), String> {
    let path = credentials_file(home);
    let identity = format!("{TEST_ACCESS_KEY_ID}={TEST_SECRET_ACCESS_KEY}");
    let current = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => CREDENTIALS_FILE_HEADER.to_string(),
        Err(err) => return Err(format!("cannot read {}: {err}", path.display())),
    };
    if current.lines().any(|line| line.trim() == identity) {
        return Ok(());
    }

    let mut text: String = current
        .lines()
        .filter(|line| {
            !line
                .trim_start()
                .starts_with(&format!("{TEST_ACCESS_KEY_ID}="))
        })
        .map(|line| format!("{line}\n"))
        .collect();
    text.push_str(&format!("{identity}\n"));
    create_dir(path.parent().unwrap_or(home.root()))?;
    write_file(&path, &text)
}

/// Everything the SASL_SSL listener needs besides its port. Only paths and
/// settings: the files are made by [`super::kafka::start`].
pub struct ListenerSettings {
    pub keystore: PathBuf,
    pub validator_jar: PathBuf,
    pub credentials_file: PathBuf,
    pub sts_endpoint: String,
    pub reauth_ms: u64,
}

impl ListenerSettings {
    pub fn new(home: &StackHome, ports: &Ports, reauth_ms: u64) -> Self {
        ListenerSettings {
            keystore: TlsFiles::new(home).keystore(),
            validator_jar: validator::jar_path(home),
            credentials_file: credentials_file(home),
            sts_endpoint: sts::endpoint_url(ports),
            reauth_ms,
        }
    }

    /// `server.properties` lines for the listener named `listener` (lower
    /// case, as Kafka's `listener.name.<name>.` prefix wants it).
    ///
    /// The JAAS entry has no options: options would make Kafka's login module
    /// ask for its unsecured-JWT settings. Inter-broker traffic stays on
    /// PLAINTEXT, so the broker never needs a token of its own.
    pub fn properties(&self, listener: &str) -> Vec<String> {
        let prefix = format!("listener.name.{listener}");
        vec![
            String::new(),
            "# SASL_SSL with OAUTHBEARER, validating AWS MSK IAM tokens as MSK does.".to_string(),
            format!("{prefix}.ssl.keystore.type=PKCS12"),
            format!("{prefix}.ssl.keystore.location={}", self.keystore.display()),
            format!("{prefix}.ssl.keystore.password={}", tls::KEYSTORE_PASSWORD),
            format!("{prefix}.sasl.enabled.mechanisms=OAUTHBEARER"),
            format!(
                "{prefix}.oauthbearer.sasl.jaas.config=\
                 org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ;"
            ),
            format!(
                "{prefix}.oauthbearer.sasl.server.callback.handler.class={}",
                validator::CALLBACK_HANDLER_CLASS
            ),
            format!("{prefix}.connections.max.reauth.ms={}", self.reauth_ms),
            "# Read by the validator (xtask/stack/validator).".to_string(),
            format!("{REGION_PROPERTY}={REGION}"),
            format!(
                "{CREDENTIALS_FILE_PROPERTY}={}",
                self.credentials_file.display()
            ),
            format!("{STS_ENDPOINT_PROPERTY}={}", self.sts_endpoint),
        ]
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn settings() -> ListenerSettings {
        ListenerSettings {
            keystore: PathBuf::from("/stack/tls/broker.p12"),
            validator_jar: PathBuf::from("/stack/validator/msk-iam-validator.jar"),
            credentials_file: PathBuf::from("/stack/iam/credentials"),
            sts_endpoint: "http://127.0.0.1:15000".to_string(),
            reauth_ms: 5000,
        }
    }

    #[test]
    fn configures_the_listener_for_msk_iam() {
        let properties = settings().properties("sasl_ssl");
        for expected in [
            "listener.name.sasl_ssl.sasl.enabled.mechanisms=OAUTHBEARER",
            "listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=\
             org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ;",
            "listener.name.sasl_ssl.oauthbearer.sasl.server.callback.handler.class=\
             eventbus.stack.iam.MskIamCallbackHandler",
            "listener.name.sasl_ssl.connections.max.reauth.ms=5000",
            "eventbus.msk.iam.region=us-gov-west-1",
            "eventbus.msk.iam.credentials.file=/stack/iam/credentials",
            "eventbus.msk.iam.sts.endpoint=http://127.0.0.1:15000",
        ] {
            assert!(
                properties.iter().any(|line| line == expected),
                "{expected} missing from {properties:#?}"
            );
        }
    }
}
