//! The AWS side of MSK IAM authentication: which credentials the default
//! chain (and the configured role) gives this host, who STS says they
//! belong to, and whether a token can be signed with them. Only the access
//! key id, the identity's ARN and expiry times are shown, never a secret.
//! The credentials and the token are the core's [`TokenProvider`].

use std::sync::Arc;
use std::time::SystemTime;

use eventbus::iam::TokenProvider;
use eventbus::{Config, ErrorKind};

use super::checklist::Checklist;
use crate::clock::describe_from_now;

/// A provider whose credentials resolved and signed a token, and the
/// identity's ARN when STS told it.
pub struct Identity {
    pub tokens: Arc<TokenProvider>,
    pub arn: Option<String>,
}

/// Checks credentials, identity and token in turn; the provider comes back
/// when a token could be signed.
pub fn check_identity(config: &Config, checks: &mut Checklist) -> Option<Identity> {
    let aws = config.aws();
    let credentials_fix = "give this host AWS credentials: the variables or profile named \
                           above, or an attached IAM role";
    let tokens = match TokenProvider::from_config(aws) {
        Ok(tokens) => tokens,
        Err(err) => {
            checks.fail("aws credentials", err, credentials_fix);
            skip_after_credentials(checks);
            return None;
        }
    };

    let now = SystemTime::now();
    let credentials = match tokens.credentials(now) {
        Ok(credentials) => credentials,
        Err(err) => {
            let fix = match &aws.role_arn {
                Some(_) if unreachable(&err) => format!(
                    "let this host reach STS in {} (a VPC endpoint for STS, or \
                     AWS_ENDPOINT_URL_STS), or set AWS_STS_REGION to a region it can reach",
                    aws.sts_region.as_deref().unwrap_or(&aws.region)
                ),
                Some(role) => format!(
                    "check that the base credentials may assume {role} (its trust policy, \
                     AWS_ROLE_EXTERNAL_ID) and that AWS_STS_REGION is in the role's partition"
                ),
                None => credentials_fix.to_string(),
            };
            checks.fail("aws credentials", err, fix);
            skip_after_credentials(checks);
            return None;
        }
    };
    let lifetime = match credentials.expires_at {
        Some(expiry) => format!("temporary, expire {}", describe_from_now(expiry, now)),
        None if credentials.has_session_token() => "temporary".to_string(),
        None => "long-term".to_string(),
    };
    checks.ok(
        "aws credentials",
        format!("access key {} ({lifetime})", credentials.access_key_id),
    );
    if let Some(role) = &aws.role_arn {
        checks.detail(format!("assumed role {role}"));
    }

    let arn = match tokens.caller_identity() {
        Ok(identity) => {
            checks.ok(
                "aws identity",
                format!("{} (account {})", identity.arn, identity.account),
            );
            Some(identity.arn)
        }
        Err(err) if unreachable(&err) => {
            checks.warn(
                "aws identity",
                format!("STS did not answer, so the identity is unconfirmed: {err}"),
                "nothing, if the brokers accept the token below; otherwise let this host reach \
                 STS (a VPC endpoint, or AWS_ENDPOINT_URL_STS) to see who the credentials are",
            );
            None
        }
        Err(err) => {
            checks.fail(
                "aws identity",
                err,
                "the credentials were refused by STS: renew them, or fix the profile or \
                 variables they come from",
            );
            None
        }
    };

    match tokens.token() {
        Ok(token) => {
            checks.ok(
                "msk iam token",
                format!(
                    "signed for {} by {}, expires {}",
                    tokens.region(),
                    token.access_key_id(),
                    describe_from_now(token.expires_at(), SystemTime::now())
                ),
            );
            Some(Identity {
                tokens: Arc::new(tokens),
                arn,
            })
        }
        Err(err) => {
            checks.fail(
                "msk iam token",
                err,
                "renew the AWS credentials; `eventbus token` shows what is signed",
            );
            None
        }
    }
}

fn skip_after_credentials(checks: &mut Checklist) {
    checks.skip("aws identity", "no AWS credentials");
    checks.skip("msk iam token", "no AWS credentials");
}

/// Whether STS could not be reached at all, as opposed to refusing.
fn unreachable(err: &eventbus::Error) -> bool {
    err.kind() == ErrorKind::Timeout
}
