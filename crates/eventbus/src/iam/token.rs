//! The MSK IAM token: a SigV4-presigned `kafka-cluster:Connect` URL for the
//! cluster's region, base64url-encoded without padding.
//!
//! Tokens and secrets never reach logs or `Debug` output: only the access
//! key id and the expiry are shown.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::sigv4::{PresignRequest, uri_encode};
use crate::error::{Error, Result};

/// How long a presigned token is valid, as MSK expects.
pub const TOKEN_VALIDITY: Duration = Duration::from_secs(900);

/// The principal name reported to librdkafka, by convention.
pub const PRINCIPAL: &str = "kafka-cluster";

const USER_AGENT: &str = concat!("eventbus-rs/", env!("CARGO_PKG_VERSION"));

/// AWS credentials: an access key, its secret, and for temporary
/// credentials a session token and an expiry.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    pub access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    pub expires_at: Option<SystemTime>,
}

impl AwsCredentials {
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
        expires_at: Option<SystemTime>,
    ) -> Self {
        AwsCredentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token,
            expires_at,
        }
    }

    pub fn has_session_token(&self) -> bool {
        self.session_token.is_some()
    }

    /// The secret key. Treat it as a secret: never log it.
    pub fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    /// The session token of temporary credentials. Never log it.
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref()
    }
}

impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A token ready to hand to librdkafka.
#[derive(Clone)]
pub struct MskIamToken {
    value: String,
    access_key_id: String,
    expires_at: SystemTime,
}

impl fmt::Debug for MskIamToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MskIamToken")
            .field("access_key_id", &self.access_key_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl MskIamToken {
    /// Presigns a token for `region` at `now` with `credentials`. Its
    /// lifetime is 900 s, cut short if the credentials expire sooner.
    pub fn build(credentials: &AwsCredentials, region: &str, now: SystemTime) -> Result<Self> {
        if let Some(expiry) = credentials.expires_at.filter(|expiry| *expiry <= now) {
            return Err(Error::Auth(format!(
                "the AWS credentials for access key {} expired {}; refresh them (or the role \
                 session) and try again",
                credentials.access_key_id,
                describe_time(expiry)
            )));
        }
        let amz_date = amz_date(now)?;
        let host = format!("kafka.{region}.amazonaws.com");
        let signed = PresignRequest {
            host: &host,
            region,
            service: "kafka-cluster",
            amz_date: &amz_date,
            expires_secs: TOKEN_VALIDITY.as_secs(),
            access_key_id: &credentials.access_key_id,
            secret_access_key: &credentials.secret_access_key,
            session_token: credentials.session_token.as_deref(),
            params: &[("Action", "kafka-cluster:Connect")],
        }
        .sign();
        // The user agent is appended after signing, as AWS's own signers do.
        let url = format!(
            "https://{host}/?{}&X-Amz-Signature={}&User-Agent={}",
            signed.canonical_query,
            signed.signature,
            uri_encode(USER_AGENT)
        );
        // Signed to the second: the token is valid from the signing second on.
        let signed_at = UNIX_EPOCH + Duration::from_secs(unix_seconds(now)?);
        let mut expires_at = signed_at + TOKEN_VALIDITY;
        if let Some(expiry) = credentials.expires_at {
            expires_at = expires_at.min(expiry);
        }
        Ok(MskIamToken {
            value: URL_SAFE_NO_PAD.encode(url),
            access_key_id: credentials.access_key_id.clone(),
            expires_at,
        })
    }

    /// The token itself. Treat it as a secret.
    pub fn value(&self) -> &str {
        &self.value
    }

    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The presigned URL's parameters, decoded, in order. With `reveal`
    /// false, the signature and session token are replaced by `<redacted>`.
    pub fn parameters(&self, reveal: bool) -> Result<Vec<(String, String)>> {
        decode_parameters(&self.value, reveal)
    }
}

/// Decodes a token's URL parameters (for `eventbus token`, and tests).
pub fn decode_parameters(token: &str, reveal: bool) -> Result<Vec<(String, String)>> {
    let bad = |why: &str| Error::Auth(format!("not an MSK IAM token: {why}"));
    let url = URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| bad("not base64url text"))?;
    let (base, query) = url.split_once('?').ok_or_else(|| bad("no query string"))?;
    let mut parameters = vec![("url".to_string(), base.to_string())];
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(key);
        let value = match key.as_str() {
            "X-Amz-Signature" | "X-Amz-Security-Token" if !reveal => "<redacted>".to_string(),
            _ => percent_decode(value),
        };
        parameters.push((key, value));
    }
    Ok(parameters)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match decoded {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn unix_seconds(time: SystemTime) -> Result<u64> {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| Error::Auth("the clock is before 1970".into()))
}

/// `YYYYMMDDTHHMMSSZ` for SigV4.
fn amz_date(time: SystemTime) -> Result<String> {
    let secs = unix_seconds(time)?;
    let days = (secs / 86_400) as i64;
    let (year, month, day) = crate::avro::logical::civil_from_days(days);
    let of_day = secs % 86_400;
    Ok(format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    ))
}

/// A point in time as RFC 3339 text, for messages.
pub fn describe_time(time: SystemTime) -> String {
    let millis = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default();
    crate::avro::logical::format_timestamp(millis, crate::avro::TimeUnit::Millis, true)
        .unwrap_or_else(|_| format!("{millis} ms after 1970"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    /// 2010-01-01T00:00:00Z, the known-answer time.
    const KNOWN_TIME: u64 = 1_262_304_000;

    #[test]
    fn a_token_decodes_to_the_expected_url_parameter_by_parameter() {
        let credentials =
            AwsCredentials::new("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", None, None);
        let token = MskIamToken::build(&credentials, "us-east-1", at(KNOWN_TIME)).unwrap();
        let parameters = token.parameters(true).unwrap();
        let expected = [
            ("url", "https://kafka.us-east-1.amazonaws.com/"),
            ("Action", "kafka-cluster:Connect"),
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            (
                "X-Amz-Credential",
                "AWS_ACCESS_KEY_ID/20100101/us-east-1/kafka-cluster/aws4_request",
            ),
            ("X-Amz-Date", "20100101T000000Z"),
            ("X-Amz-Expires", "900"),
            ("X-Amz-SignedHeaders", "host"),
            (
                "X-Amz-Signature",
                // Differs from the known answer only by the host signed.
                &parameters[7].1,
            ),
            ("User-Agent", USER_AGENT),
        ];
        let parameters: Vec<(&str, &str)> = parameters
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(parameters, expected.map(|(k, v)| (k, v)));
        assert_eq!(parameters[7].1.len(), 64);
        assert!(!token.value().contains('='), "no padding");
        assert_eq!(token.expires_at(), at(KNOWN_TIME + 900));
    }

    #[test]
    fn the_signature_matches_an_independent_computation() {
        // The same request through the signer directly, with the token's host.
        let signed = PresignRequest {
            host: "kafka.us-gov-west-1.amazonaws.com",
            region: "us-gov-west-1",
            service: "kafka-cluster",
            amz_date: "20100101T000000Z",
            expires_secs: 900,
            access_key_id: "AKID",
            secret_access_key: "SECRET",
            session_token: Some("SESSION/TOKEN+="),
            params: &[("Action", "kafka-cluster:Connect")],
        }
        .sign();
        let credentials =
            AwsCredentials::new("AKID", "SECRET", Some("SESSION/TOKEN+=".into()), None);
        let token = MskIamToken::build(&credentials, "us-gov-west-1", at(KNOWN_TIME)).unwrap();
        let parameters = token.parameters(true).unwrap();
        let get = |name: &str| {
            parameters
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(get("X-Amz-Signature"), signed.signature);
        assert_eq!(get("X-Amz-Security-Token"), "SESSION/TOKEN+=");
    }

    #[test]
    fn the_lifetime_is_capped_at_the_credentials_expiry() {
        let credentials = AwsCredentials::new(
            "AKID",
            "SECRET",
            Some("T".into()),
            Some(at(KNOWN_TIME + 60)),
        );
        let token = MskIamToken::build(&credentials, "us-east-1", at(KNOWN_TIME)).unwrap();
        assert_eq!(token.expires_at(), at(KNOWN_TIME + 60));
        let err = MskIamToken::build(&credentials, "us-east-1", at(KNOWN_TIME + 61)).unwrap_err();
        assert_eq!(err.kind().as_str(), "auth");
        assert!(
            err.to_string().contains("expired 2010-01-01T00:01:00.000Z"),
            "{err}"
        );
    }

    #[test]
    fn secrets_stay_out_of_debug_and_redacted_views() {
        let credentials = AwsCredentials::new("AKID", "SECRET", Some("SESSION".into()), None);
        let token = MskIamToken::build(&credentials, "us-east-1", at(KNOWN_TIME)).unwrap();
        let shown = format!("{credentials:?} {token:?}");
        assert!(shown.contains("AKID"));
        for secret in ["SECRET", "SESSION", token.value()] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let redacted = token.parameters(false).unwrap();
        assert!(redacted.iter().all(|(_, v)| v != "SESSION"));
        assert!(
            redacted
                .iter()
                .any(|(k, v)| k == "X-Amz-Signature" && v == "<redacted>")
        );
    }
}
