//! Kafka itself: authenticating (with `SASL_SSL`) and asking the cluster
//! for its brokers, then for each topic given. The connection and the
//! broker's reasons are the core's [`cluster_metadata`].

use std::sync::Arc;
use std::time::Duration;

use eventbus::diagnostics::cluster_metadata;
use eventbus::iam::TokenProvider;
use eventbus::{Config, Error, ErrorKind, SecurityProtocol};

use super::TopicCheck;
use super::checklist::Checklist;

/// Why the broker checks cannot run, if they cannot.
pub enum Blocker {
    NoServerReached,
    NoToken,
}

/// Asks for the cluster's brokers, then for the topics; every line is a
/// skip when `blocker` says an earlier check failed.
pub fn check_cluster(
    config: &Config,
    tokens: Result<Option<Arc<TokenProvider>>, Blocker>,
    identity: Option<&str>,
    topics: &[TopicCheck],
    timeout: Duration,
    checks: &mut Checklist,
) {
    let tokens = match tokens {
        Ok(tokens) => tokens,
        Err(blocker) => {
            let why = match blocker {
                Blocker::NoServerReached => "no bootstrap server passed the network checks above",
                Blocker::NoToken => "no MSK IAM token",
            };
            checks.skip("brokers", why);
            skip_topics(topics, "the brokers were not reached", checks);
            return;
        }
    };

    let how = match config.security_protocol() {
        SecurityProtocol::SaslSsl => "authenticated with SASL OAUTHBEARER (MSK IAM)",
        SecurityProtocol::Plaintext => "connected over PLAINTEXT",
    };
    match cluster_metadata(config, tokens.clone(), &[], timeout) {
        Ok(metadata) => {
            let count = metadata.brokers.len();
            let plural = if count == 1 { "broker" } else { "brokers" };
            checks.ok(
                "brokers",
                format!("{how}; the cluster lists {count} {plural}"),
            );
            let mut brokers = metadata.brokers;
            brokers.sort();
            for (id, host, port) in brokers {
                checks.detail(format!("broker {id} at {host}:{port}"));
            }
        }
        Err(err) => {
            checks.fail("brokers", &err, broker_fix(&err, identity));
            skip_topics(topics, "the brokers did not answer", checks);
            return;
        }
    }

    if topics.is_empty() {
        return;
    }
    let names: Vec<String> = topics.iter().map(|t| t.name.clone()).collect();
    let metadata = match cluster_metadata(config, tokens, &names, timeout) {
        Ok(metadata) => metadata,
        Err(err) => {
            for topic in topics {
                checks.fail(
                    &format!("topic {}", topic.name),
                    &err,
                    broker_fix(&err, identity),
                );
            }
            return;
        }
    };
    for topic in topics {
        let check = format!("topic {}", topic.name);
        match metadata.topics.iter().find(|t| t.name == topic.name) {
            Some(found) => match &found.error {
                None => {
                    let plural = if found.partitions == 1 { "" } else { "s" };
                    checks.ok(&check, format!("{} partition{plural}", found.partitions));
                }
                Some(error) => {
                    checks.fail(&check, error, topic_fix(&topic.name, error, identity));
                }
            },
            None => checks.fail(
                &check,
                "the brokers returned no metadata for it",
                topic_fix(&topic.name, "", identity),
            ),
        }
    }
}

fn skip_topics(topics: &[TopicCheck], why: &str, checks: &mut Checklist) {
    for topic in topics {
        checks.skip(&format!("topic {}", topic.name), why);
    }
}

fn broker_fix(err: &Error, identity: Option<&str>) -> String {
    let who = identity.unwrap_or("this host's AWS identity");
    let reason = err.to_string();
    match err.kind() {
        // A signature that does not verify means the secret does not belong
        // to the access key; no grant would help.
        ErrorKind::Auth if reason.contains("signature") => {
            "the secret key does not match the access key: check AWS_SECRET_ACCESS_KEY (or the \
             profile) against the access key shown above"
                .to_string()
        }
        ErrorKind::Auth if reason.contains("expired") => {
            "the credentials or the token expired: renew them, and check this host's clock"
                .to_string()
        }
        ErrorKind::Auth => format!(
            "ask the Event Bus team to grant {who} kafka-cluster:Connect on the cluster, and \
             check that AWS_REGION is the cluster's region"
        ),
        _ => "check that the port is the listener for the security protocol (9098 or 9198 \
              for SASL_SSL); EVENTBUS_LOG=librdkafka=debug shows librdkafka's view"
            .to_string(),
    }
}

fn topic_fix(topic: &str, error: &str, identity: Option<&str>) -> String {
    let who = identity.unwrap_or("this host's AWS identity");
    if error.contains("Authorization") {
        format!("ask the Event Bus team to grant {who} write access to topic {topic}")
    } else {
        "check the topic name against the Event Catalog: topics are created by the Event Bus \
         team, not by producers"
            .to_string()
    }
}
