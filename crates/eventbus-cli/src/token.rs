//! `eventbus token`: the MSK IAM token this host's AWS identity would give
//! the brokers, taken apart for reading. This module owns the signing time
//! and the printout; credentials and signing are the core's
//! [`TokenProvider`], and the AWS settings are read as the core reads them.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::SystemTime;

use clap::Args;
use eventbus::iam::TokenProvider;

use crate::clock::{describe_from_now, parse_time};
use crate::failure::Failure;
use crate::settings::aws_config;

const EXAMPLES: &str = "Examples:
  # The token for the configured identity, signature and session token hidden:
  eventbus token

  # Signed for another region, as of a fixed time (the same inputs always
  # give the same signature, to compare with another signer):
  eventbus token --region us-east-1 --at 2026-12-03T10:00:00Z --reveal

  # With a role assumed first, as a producer configured for one would:
  AWS_ROLE=arn:aws-us-gov:iam::123456789012:role/producer eventbus token

Output is the presigned URL inside the token, one decoded parameter a line:
  url = https://kafka.us-gov-west-1.amazonaws.com/
  Action = kafka-cluster:Connect
  X-Amz-Credential = AKIA.../20261203/us-gov-west-1/kafka-cluster/aws4_request
  ...
  X-Amz-Signature = <redacted>
then when the token expires and the access key id that signed it. The
secret access key is never printed; the signature and session token only
with --reveal, and what --reveal prints lets anyone connect as you until the
token expires: do not paste it anywhere.

Credentials come from the AWS default chain: AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), AWS_PROFILE, web identity,
container or instance metadata. AWS_ROLE (or AWS_ROLE_ARN) names a role to
assume first, with AWS_ROLE_SESSION_NAME, AWS_ROLE_EXTERNAL_ID and
AWS_STS_REGION. The token is signed for AWS_REGION (default us-gov-west-1)
unless --region is given.";

/// Build an MSK IAM token with the configured AWS identity and show what is
/// inside it
#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct TokenArgs {
    /// Sign as of this time instead of now, such as 2026-12-03T10:00:00Z
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    at: Option<SystemTime>,

    /// Sign for this region instead of AWS_REGION's (default us-gov-west-1)
    #[arg(long, value_name = "REGION")]
    region: Option<String>,

    /// Show the signature and session token instead of <redacted>
    #[arg(long)]
    reveal: bool,
}

pub fn run(args: TokenArgs) -> Result<(), Failure> {
    let aws = aws_config(args.region.as_deref())?;
    let mut tokens = TokenProvider::from_config(&aws)?;
    if let Some(at) = args.at {
        tokens = tokens.with_clock(Arc::new(move || at));
    }
    let token = tokens.token()?;
    let parameters = token.parameters(args.reveal)?;

    let mut out = io::stdout().lock();
    let mut text = String::new();
    for (name, value) in &parameters {
        text.push_str(&format!("{name} = {value}\n"));
    }
    text.push_str(&format!(
        "expires at = {}\n",
        describe_from_now(token.expires_at(), SystemTime::now())
    ));
    text.push_str(&format!("access key id = {}\n", token.access_key_id()));
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(Failure::writing_output)
}
