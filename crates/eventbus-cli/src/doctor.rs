//! `eventbus doctor`: the checks a producing team runs before asking the
//! Event Bus team for help, from the settings down the network path to the
//! brokers and the registry. This module owns the order of the checks, what
//! each failure makes meaningless, and the configuration check; the other
//! checks live in the submodules, and the report format in `checklist`.
//!
//! The report holds no secret (no secret key, token, session token or
//! registry password), so it can be pasted into a support request as it is.

mod checklist;
mod cluster;
mod identity;
mod network;
mod registry;
mod tls;

use std::time::{Duration, SystemTime};

use clap::Args;
use eventbus::config::{MSK_IAM_PORT_INSIDE_AWS, MSK_IAM_PORT_OUTSIDE_AWS};
use eventbus::iam::describe_time;
use eventbus::{Config, SecurityProtocol};

use crate::failure::Failure;
use crate::settings::{BrokerArgs, RegistryArgs, parse_seconds};
use checklist::Checklist;
use cluster::{Blocker, check_cluster};
use identity::check_identity;
use network::{Server, check_dns, check_tcp};
use registry::{check_registry, redact_user_info};
use tls::check_tls;

const EXAMPLES: &str = "Examples:
  # The path to the Event Bus, as configured by EB_* and AWS_* variables:
  eventbus doctor

  # Also the topics to produce to, and the schema ids pinned for them
  # (value id, then key id after a colon):
  eventbus doctor --topic users=12:13 --topic appointments=42

  # A local broker and registry:
  eventbus doctor --bootstrap-servers localhost:19092 --security-protocol PLAINTEXT \\
    --registry http://localhost:18081

Checks, in order, one line each:
  configuration    the settings build; those in effect are listed
  dns, tcp         each bootstrap host resolves and accepts a connection
  tls              the handshake with each server (SASL_SSL): the certificate,
                   verified as librdkafka will (system trust store, or
                   EB_SSL_CA_LOCATION) with the host name checked
  aws credentials  the AWS credentials found, and the role assumed if any
  aws identity     who STS says the credentials belong to
  msk iam token    a token can be signed
  brokers          the brokers accept the token and list themselves
  topic NAME       each --topic exists, with its partitions, or the broker's error
  registry         each registry URL is reachable
  schema id N      each pinned schema id exists, with its fingerprint
With PLAINTEXT there is no TLS or IAM: those checks are skipped and the
brokers are asked for metadata unauthenticated.

Each line starts with ok, warn, FAIL, or skip (when an earlier failure makes
the check meaningless); under a FAIL or warn is a `fix:` line. The exit code
is 1 if any check failed; warnings do not fail the run.

The output holds no secret: no secret access key, token, session token or
registry password. It is safe to paste into a support request as it is.";

/// Check the path to the Event Bus step by step: settings, DNS, TCP, TLS,
/// AWS identity, token, brokers, topics and registry
#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct DoctorArgs {
    /// A topic to look up, with the schema ids pinned for its values and keys;
    /// repeat for more
    #[arg(long = "topic", value_name = "NAME[=VALUE_ID[:KEY_ID]]", value_parser = parse_topic)]
    topics: Vec<TopicCheck>,

    /// Seconds each network step may take (a lookup, a connection, a handshake,
    /// a metadata request)
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_step_timeout)]
    timeout: Duration,

    #[command(flatten)]
    broker: BrokerArgs,

    #[command(flatten)]
    registry: RegistryArgs,
}

/// A `--topic`: its name and the schema ids pinned for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicCheck {
    pub name: String,
    pub value_schema_id: Option<u32>,
    pub key_schema_id: Option<u32>,
}

fn parse_topic(text: &str) -> Result<TopicCheck, String> {
    let (name, ids) = match text.split_once('=') {
        Some((name, ids)) => (name.trim(), Some(ids)),
        None => (text.trim(), None),
    };
    if name.is_empty() {
        return Err(format!(
            "{text:?} names no topic; use NAME[=VALUE_ID[:KEY_ID]]"
        ));
    }
    let schema_id = |id: &str| {
        id.trim()
            .parse::<u32>()
            .map_err(|_| format!("{id:?} in {text:?} is not a schema id"))
    };
    let (value_schema_id, key_schema_id) = match ids {
        None => (None, None),
        Some(ids) => match ids.split_once(':') {
            Some((value, key)) => (Some(schema_id(value)?), Some(schema_id(key)?)),
            None => (Some(schema_id(ids)?), None),
        },
    };
    Ok(TopicCheck {
        name: name.to_string(),
        value_schema_id,
        key_schema_id,
    })
}

fn parse_step_timeout(text: &str) -> Result<Duration, String> {
    let timeout = parse_seconds(text)?;
    if timeout.is_zero() {
        return Err("the time limit must be more than 0 seconds".to_string());
    }
    Ok(timeout)
}

pub fn run(args: DoctorArgs) -> Result<(), Failure> {
    let mut checks = Checklist::new();
    checks.line(heading());
    match check_configuration(&args, &mut checks) {
        Some(config) => check_path(&config, &args, &mut checks),
        None => skip_path(&args.topics, &mut checks),
    }
    checks.finish()
}

/// The versions and the time, which a support request needs first.
fn heading() -> String {
    let (_, librdkafka) = rdkafka::util::get_rdkafka_version();
    format!(
        "eventbus doctor {} (librdkafka {librdkafka}, {}) at {}",
        env!("CARGO_PKG_VERSION"),
        openssl::version::version(),
        describe_time(SystemTime::now())
    )
}

/// Every check after the configuration, in order.
fn check_path(config: &Config, args: &DoctorArgs, checks: &mut Checklist) {
    let servers: Vec<Server> = config
        .bootstrap_servers()
        .iter()
        .filter_map(|text| Server::parse(text))
        .collect();
    let resolved = check_dns(&servers, args.timeout, checks);
    let mut reached = check_tcp(&servers, resolved, args.timeout, checks);

    let (tokens, identity) = match config.security_protocol() {
        SecurityProtocol::SaslSsl => {
            reached = check_tls(
                &servers,
                reached,
                config.ssl_ca_location(),
                args.timeout,
                checks,
            );
            match check_identity(config, checks) {
                Some(identity) => (Ok(Some(identity.tokens)), identity.arn),
                None => (Err(Blocker::NoToken), None),
            }
        }
        SecurityProtocol::Plaintext => {
            let why = "PLAINTEXT has no TLS and no IAM authentication";
            for check in ["tls", "aws credentials", "aws identity", "msk iam token"] {
                checks.skip(check, why);
            }
            (Ok(None), None)
        }
    };
    let tokens = if reached.is_empty() {
        Err(Blocker::NoServerReached)
    } else {
        tokens
    };

    check_cluster(
        config,
        tokens,
        identity.as_deref(),
        &args.topics,
        args.timeout,
        checks,
    );
    check_registry(config, &args.topics, args.timeout, checks);
}

/// The lines of every later check when the configuration did not build.
fn skip_path(topics: &[TopicCheck], checks: &mut Checklist) {
    let why = "the configuration did not build";
    let mut later = vec![
        "dns".to_string(),
        "tcp".to_string(),
        "tls".to_string(),
        "aws credentials".to_string(),
        "aws identity".to_string(),
        "msk iam token".to_string(),
        "brokers".to_string(),
    ];
    later.extend(topics.iter().map(|topic| format!("topic {}", topic.name)));
    later.push("registry".to_string());
    for check in later {
        checks.skip(&check, why);
    }
}

/// Builds the configuration as `produce` would, lists the settings in
/// effect, and warns about those the Event Bus does not expect.
fn check_configuration(args: &DoctorArgs, checks: &mut Checklist) -> Option<Config> {
    let config = match args.broker.builder(&args.registry).build() {
        Ok(config) => config,
        Err(err) => {
            checks.fail(
                "configuration",
                err,
                "correct the setting named above: a flag, or an EB_*, AWS_* or \
                 SCHEMA_REGISTRY_* variable (`eventbus --help` lists them)",
            );
            return None;
        }
    };
    let count = config.bootstrap_servers().len();
    let plural = if count == 1 { "server" } else { "servers" };
    checks.ok(
        "configuration",
        format!(
            "{} to {count} bootstrap {plural}; the settings in effect:",
            config.security_protocol()
        ),
    );
    for (name, value) in settings_in_effect(&config) {
        checks.detail(format!("{name:<19}{value}"));
    }

    match config.security_protocol() {
        SecurityProtocol::SaslSsl => {
            for server in config.bootstrap_servers() {
                let Some(port) = Server::parse(server).map(|s| s.port) else {
                    continue;
                };
                if port != MSK_IAM_PORT_INSIDE_AWS && port != MSK_IAM_PORT_OUTSIDE_AWS {
                    checks.warn(
                        &format!("port {server}"),
                        format!("{port} is not an MSK IAM port"),
                        format!(
                            "use the broker list from the Event Catalog: port \
                             {MSK_IAM_PORT_INSIDE_AWS} from inside AWS, \
                             {MSK_IAM_PORT_OUTSIDE_AWS} from outside"
                        ),
                    );
                }
            }
        }
        SecurityProtocol::Plaintext => checks.warn(
            "security protocol",
            "PLAINTEXT has no TLS and no authentication: for a local broker only",
            "for the Event Bus, unset EB_SECURITY_PROTOCOL or set it to SASL_SSL",
        ),
    }
    if config.enable_idempotence() {
        checks.warn(
            "idempotence",
            "enabled, which needs IAM permissions beyond the Event Bus producer grant",
            "unset EB_ENABLE_IDEMPOTENCE unless the Event Bus team granted them",
        );
    }
    Some(config)
}

/// The settings as name and value, without a secret among them.
fn settings_in_effect(config: &Config) -> Vec<(&'static str, String)> {
    let aws = config.aws();
    let mut settings = vec![
        ("bootstrap servers", config.bootstrap_servers().join(", ")),
        ("security protocol", config.security_protocol().to_string()),
    ];
    if config.security_protocol() == SecurityProtocol::SaslSsl {
        let trust = match config.ssl_ca_location() {
            Some(path) => format!("{} (EB_SSL_CA_LOCATION)", path.display()),
            None => "the system trust store".to_string(),
        };
        settings.push(("broker CA", trust));
        settings.push(("AWS region", aws.region.clone()));
        let mut role = aws.role_arn.clone().unwrap_or_else(|| "none".to_string());
        if aws.role_arn.is_some() {
            if let Some(name) = &aws.role_session_name {
                role.push_str(&format!(", session {name}"));
            }
            if let Some(region) = &aws.sts_region {
                role.push_str(&format!(", STS in {region}"));
            }
            if aws.role_external_id.is_some() {
                role.push_str(", with an external id");
            }
        }
        settings.push(("role to assume", role));
        settings.push(("AWS variables", aws_variables()));
    }
    let registry = match config.registry() {
        None => "none".to_string(),
        Some(registry) => {
            let urls: Vec<String> = registry.urls.iter().map(|u| redact_user_info(u)).collect();
            let mut text = urls.join(", ");
            if let Some(prefix) = &registry.path_prefix {
                text.push_str(&format!(", path prefix {prefix}"));
            }
            if let Some(auth) = &registry.basic_auth {
                text.push_str(&format!(", basic auth as {}", auth.username));
            }
            if let Some(path) = &registry.ca_location {
                text.push_str(&format!(", CA {}", path.display()));
            }
            text
        }
    };
    settings.push(("schema registry", registry));
    let idempotence = if config.enable_idempotence() {
        "on"
    } else {
        "off"
    };
    settings.push(("idempotence", idempotence.to_string()));
    settings
}

/// Which of the variables that steer the AWS default chain are set; only
/// the profile's name and file paths are shown, never a key or token.
fn aws_variables() -> String {
    const NAMES_ONLY: [&str; 6] = [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ];
    const WITH_VALUES: [&str; 5] = [
        "AWS_PROFILE",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_EC2_METADATA_DISABLED",
        "AWS_ENDPOINT_URL_STS",
    ];
    let set = |name: &&str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let mut shown: Vec<String> = NAMES_ONLY
        .into_iter()
        .filter(set)
        .map(|name| format!("{name} set"))
        .collect();
    shown.extend(WITH_VALUES.into_iter().filter(set).map(|name| {
        let value = std::env::var(name).unwrap_or_default();
        format!("{name}={value}")
    }));
    if shown.is_empty() {
        "none set; the default chain looks for a profile file or an attached role".to_string()
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_take_optional_value_and_key_schema_ids() {
        let topic = |name: &str, value, key| TopicCheck {
            name: name.to_string(),
            value_schema_id: value,
            key_schema_id: key,
        };
        assert_eq!(parse_topic("users").unwrap(), topic("users", None, None));
        assert_eq!(
            parse_topic("users=12").unwrap(),
            topic("users", Some(12), None)
        );
        assert_eq!(
            parse_topic("users=12:13").unwrap(),
            topic("users", Some(12), Some(13))
        );
        assert!(parse_topic("=12").unwrap_err().contains("names no topic"));
        assert!(
            parse_topic("users=x")
                .unwrap_err()
                .contains("not a schema id")
        );
        assert!(parse_topic("users=1:").is_err());
    }
}
