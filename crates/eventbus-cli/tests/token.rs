//! `eventbus token` run as a user would, with fixed credentials in the
//! environment and a pinned signing time, so the output is known exactly.
//! The expected signature comes from the core's signer, so these tests check
//! the command's plumbing, not SigV4 again. No AWS service is contacted.

mod support;

use std::time::{Duration, UNIX_EPOCH};

use assert_cmd::Command;
use eventbus::iam::{AwsCredentials, MskIamToken};

use support::{assert_no_panic, eventbus, stderr, stdout};

const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SESSION_TOKEN: &str = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN";

/// 2010-01-01T00:00:00Z.
const SIGNED_AT: &str = "2010-01-01T00:00:00Z";
const SIGNED_AT_SECONDS: u64 = 1_262_304_000;

/// `token` with the example credentials, signed for us-east-1 at [`SIGNED_AT`].
fn token() -> Command {
    let mut command = eventbus();
    command
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .args(["token", "--at", SIGNED_AT, "--region", "us-east-1"]);
    command
}

/// The value printed for `name`, from a `name = value` line.
fn printed<'a>(stdout: &'a str, name: &str) -> Option<&'a str> {
    stdout
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(" = "))
}

fn assert_no_secret(output: &std::process::Output) {
    for stream in [stdout(output), stderr(output)] {
        assert!(!stream.contains(SECRET_ACCESS_KEY), "{stream}");
    }
}

#[test]
fn token_shows_the_signed_parameters_with_the_signature_redacted() {
    let output = token().output().unwrap();

    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = stdout(&output);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "url = https://kafka.us-east-1.amazonaws.com/");
    for expected in [
        "Action = kafka-cluster:Connect",
        "X-Amz-Algorithm = AWS4-HMAC-SHA256",
        "X-Amz-Credential = AKIDEXAMPLE/20100101/us-east-1/kafka-cluster/aws4_request",
        "X-Amz-Date = 20100101T000000Z",
        "X-Amz-Expires = 900",
        "X-Amz-SignedHeaders = host",
        "X-Amz-Signature = <redacted>",
        "access key id = AKIDEXAMPLE",
    ] {
        assert!(lines.contains(&expected), "no {expected:?} in\n{stdout}");
    }
    let expires = printed(&stdout, "expires at").unwrap();
    assert!(
        expires.starts_with("2010-01-01T00:15:00.000Z (") && expires.ends_with(" ago)"),
        "{expires}"
    );
    assert_no_secret(&output);
    assert_no_panic(&output);
}

#[test]
fn reveal_shows_the_signature_the_core_computes_for_the_same_inputs() {
    let credentials = AwsCredentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None);
    let signed_at = UNIX_EPOCH + Duration::from_secs(SIGNED_AT_SECONDS);
    let expected = MskIamToken::build(&credentials, "us-east-1", signed_at)
        .unwrap()
        .parameters(true)
        .unwrap();
    let expected_signature = expected
        .iter()
        .find(|(name, _)| name == "X-Amz-Signature")
        .map(|(_, value)| value.clone())
        .unwrap();

    let output = token().arg("--reveal").output().unwrap();

    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = stdout(&output);
    let signature = printed(&stdout, "X-Amz-Signature").unwrap();
    assert_eq!(signature.len(), 64, "{signature}");
    assert!(
        signature.bytes().all(|b| b.is_ascii_hexdigit()),
        "{signature}"
    );
    assert_eq!(signature, expected_signature);
    // Every parameter line is the core's, in the core's order.
    let parameter_lines: Vec<String> = expected
        .iter()
        .map(|(name, value)| format!("{name} = {value}"))
        .collect();
    let printed_lines: Vec<&str> = stdout.lines().take(parameter_lines.len()).collect();
    assert_eq!(printed_lines, parameter_lines);
    assert_no_secret(&output);
}

#[test]
fn a_session_token_is_redacted_unless_revealed() {
    let redacted = token()
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .output()
        .unwrap();
    assert!(redacted.status.success(), "{}", stderr(&redacted));
    assert_eq!(
        printed(&stdout(&redacted), "X-Amz-Security-Token"),
        Some("<redacted>")
    );
    assert!(!stdout(&redacted).contains(SESSION_TOKEN));

    let revealed = token()
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .arg("--reveal")
        .output()
        .unwrap();
    assert!(revealed.status.success(), "{}", stderr(&revealed));
    assert_eq!(
        printed(&stdout(&revealed), "X-Amz-Security-Token"),
        Some(SESSION_TOKEN)
    );
    assert_no_secret(&revealed);
}

#[test]
fn the_region_comes_from_aws_region_without_any_broker_settings() {
    let output = eventbus()
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .env("AWS_REGION", "us-gov-east-1")
        // A broken broker setting is no concern of `token`.
        .env("EB_SECURITY_PROTOCOL", "NONSENSE")
        .args(["token", "--at", SIGNED_AT])
        .output()
        .unwrap();

    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        printed(&stdout(&output), "X-Amz-Credential"),
        Some("AKIDEXAMPLE/20100101/us-gov-east-1/kafka-cluster/aws4_request")
    );
    assert!(stderr(&output).is_empty(), "{}", stderr(&output));
}

#[test]
fn without_credentials_token_says_where_they_are_looked_for() {
    let output = eventbus().arg("token").output().unwrap();

    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "{}", stdout(&output));
    let stderr = stderr(&output);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("eventbus: authentication failed: no AWS credentials found"),
        "{stderr}"
    );
    assert!(last.contains("AWS_ACCESS_KEY_ID"), "{stderr}");
    assert_no_panic(&output);
}

#[test]
fn a_bad_time_or_region_is_refused_before_signing() {
    let bad_time = eventbus()
        .args(["token", "--at", "next tuesday"])
        .output()
        .unwrap();
    assert_eq!(bad_time.status.code(), Some(2));
    assert!(
        stderr(&bad_time).contains("is not an RFC 3339 date-time"),
        "{}",
        stderr(&bad_time)
    );

    let bad_region = eventbus()
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .args(["token", "--region", "Mars"])
        .output()
        .unwrap();
    assert_eq!(bad_region.status.code(), Some(1));
    assert!(
        stderr(&bad_region).contains("\"Mars\" is not an AWS region name"),
        "{}",
        stderr(&bad_region)
    );
}
