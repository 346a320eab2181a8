//! The TLS handshake with each bootstrap server, made with the system
//! OpenSSL that librdkafka links and the trust librdkafka is given: the
//! system store, or only the CA file or directory in `EB_SSL_CA_LOCATION`,
//! with the host name checked against the certificate. So a handshake that
//! passes here passes for the producer, and a failure carries OpenSSL's
//! reason ("certificate verify failed: unable to get local issuer
//! certificate") rather than librdkafka's retries.

use std::net::TcpStream;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::ssl::{HandshakeError, SslConnector, SslMethod, SslVerifyMode};
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::{X509, X509NameRef, X509VerifyResult};

use super::checklist::{Checklist, Status};
use super::network::{Reached, Server};
use crate::clock::{describe_from_now, describe_span};

/// A certificate that expires sooner than this is a warning.
const EXPIRY_WARNING: Duration = Duration::from_secs(30 * 86_400);

/// OpenSSL's verification error codes (`X509_V_ERR_*`) that have a fix of their own.
const CERT_NOT_YET_VALID: i32 = 9;
const CERT_HAS_EXPIRED: i32 = 10;
const HOSTNAME_MISMATCH: i32 = 62;
const IP_ADDRESS_MISMATCH: i32 = 64;

/// Shakes hands with each reached server and reports a line per server of
/// `servers`; the servers whose handshake passed come back.
pub fn check_tls(
    servers: &[Server],
    reached: Vec<Reached>,
    ca_location: Option<&Path>,
    timeout: Duration,
    checks: &mut Checklist,
) -> Vec<Reached> {
    let trust = match ca_location {
        Some(path) => format!("EB_SSL_CA_LOCATION ({})", path.display()),
        None => "the system trust store".to_string(),
    };
    if reached.is_empty() {
        for server in servers {
            checks.skip(&format!("tls {}", server.text), "not reached over TCP");
        }
        return Vec::new();
    }
    let connector = match connector(ca_location) {
        Ok(connector) => connector,
        Err(reason) => {
            checks.fail(
                "tls",
                format!("cannot load {trust}: {reason}"),
                "point EB_SSL_CA_LOCATION at a readable PEM file (or directory) of CA \
                 certificates, or unset it to use the system trust store",
            );
            return Vec::new();
        }
    };

    let mut passed = Vec::new();
    for server in servers {
        let check = format!("tls {}", server.text);
        let Some(server) = reached.iter().find(|r| r.server.text == server.text) else {
            checks.skip(&check, "not reached over TCP");
            continue;
        };
        match handshake(&connector, server, timeout) {
            Ok(session) => {
                let (status, fix) = session.expiry_status(&server.server.host);
                let detail = format!(
                    "{}, certificate verified against {trust} for {}",
                    session.version, server.server.host
                );
                let fix = fix.as_ref().map(|fix| fix as &dyn std::fmt::Display);
                checks.entry(status, &check, detail, &session.details(), fix);
                passed.push(server.clone());
            }
            Err(failure) => {
                let fix = failure.fix(&server.server.host, ca_location);
                let details = failure.certificate.as_ref().map(describe_certificate);
                checks.entry(
                    Status::Fail,
                    &check,
                    &failure.reason,
                    &details.unwrap_or_default(),
                    Some(&fix),
                );
            }
        }
    }
    passed
}

/// A client context that trusts what librdkafka would be told to trust.
fn connector(ca_location: Option<&Path>) -> Result<SslConnector, String> {
    let mut builder = SslConnector::builder(SslMethod::tls_client()).map_err(|e| e.to_string())?;
    if let Some(path) = ca_location {
        // Only the given CAs, as librdkafka loads ssl.ca.location instead
        // of the default paths.
        let empty = X509StoreBuilder::new().map_err(|e| e.to_string())?;
        builder.set_cert_store(empty.build());
        let loaded = if path.is_dir() {
            builder.load_verify_locations(None, Some(path))
        } else {
            builder.set_ca_file(path)
        };
        loaded.map_err(|err| {
            if path.exists() {
                format!("no PEM certificate could be read from it: {err}")
            } else {
                "no such file".to_string()
            }
        })?;
    }
    Ok(builder.build())
}

/// What a passed handshake showed.
struct Session {
    version: String,
    took: Duration,
    certificate: Option<X509>,
}

impl Session {
    fn details(&self) -> Vec<String> {
        let mut lines = self
            .certificate
            .as_ref()
            .map(describe_certificate)
            .unwrap_or_default();
        lines.push(format!("handshake took {} ms", self.took.as_millis()));
        lines
    }

    /// A warning when the certificate expires within [`EXPIRY_WARNING`].
    fn expiry_status(&self, host: &str) -> (Status, Option<String>) {
        let expires = self
            .certificate
            .as_ref()
            .and_then(|cert| to_system_time(cert.not_after()));
        match expires.map(|at| at.duration_since(SystemTime::now())) {
            Some(Ok(left)) if left < EXPIRY_WARNING => (
                Status::Warn,
                Some(format!(
                    "the certificate of {host} expires in {}: tell the Event Bus team",
                    describe_span(left)
                )),
            ),
            _ => (Status::Ok, None),
        }
    }
}

/// Why a handshake did not pass.
struct TlsFailure {
    reason: String,
    /// OpenSSL's verification result, when verification is what failed.
    verify_error: Option<i32>,
    /// What the server presented, when it got that far.
    certificate: Option<X509>,
}

impl TlsFailure {
    fn new(reason: String) -> Self {
        TlsFailure {
            reason,
            verify_error: None,
            certificate: None,
        }
    }

    fn fix(&self, host: &str, ca_location: Option<&Path>) -> String {
        match (self.verify_error, ca_location) {
            (Some(HOSTNAME_MISMATCH | IP_ADDRESS_MISMATCH), _) => format!(
                "the certificate does not name {host}: use the broker names from the Event \
                 Catalog, not addresses or aliases"
            ),
            (Some(CERT_HAS_EXPIRED | CERT_NOT_YET_VALID), _) => "check this host's clock, which \
                 the validity dates are judged by; if it is right, tell the Event Bus team"
                .to_string(),
            (Some(_), Some(path)) => format!(
                "{} does not hold the CA that issued the brokers' certificate: get the CA \
                 bundle from the Event Bus team, or unset EB_SSL_CA_LOCATION to use the system \
                 trust store",
                path.display()
            ),
            (Some(_), None) => "this host's trust store does not trust the brokers' CA: \
                 install the CA certificates (the ca-certificates package) or set \
                 EB_SSL_CA_LOCATION to a PEM file of the CA"
                .to_string(),
            (None, _) => "the server did not complete a TLS handshake: check that the port is \
                 the Event Bus's TLS listener (9098 from inside AWS, 9198 from outside) and \
                 not a PLAINTEXT one, and that nothing between intercepts TLS"
                .to_string(),
        }
    }
}

fn handshake(
    connector: &SslConnector,
    server: &Reached,
    timeout: Duration,
) -> Result<Session, TlsFailure> {
    let stream = TcpStream::connect_timeout(&server.address, timeout)
        .map_err(|err| TlsFailure::new(format!("cannot connect again: {err}")))?;
    let limit = |result: std::io::Result<()>| {
        result.map_err(|err| TlsFailure::new(format!("cannot set a time limit: {err}")))
    };
    limit(stream.set_read_timeout(Some(timeout)))?;
    limit(stream.set_write_timeout(Some(timeout)))?;

    // The server's own certificate, kept as verification sees it, so that a
    // failed verification can still say what was presented.
    let presented: Arc<Mutex<Option<X509>>> = Arc::default();
    let mut configuration = connector
        .configure()
        .map_err(|err| TlsFailure::new(format!("cannot set up the handshake: {err}")))?;
    let keep = presented.clone();
    configuration.set_verify_callback(SslVerifyMode::PEER, move |verified, context| {
        if context.error_depth() == 0
            && let Some(certificate) = context.current_cert()
        {
            *keep.lock().unwrap_or_else(PoisonError::into_inner) = Some(certificate.to_owned());
        }
        verified
    });

    let started = Instant::now();
    match configuration.connect(&server.server.host, stream) {
        Ok(tls) => Ok(Session {
            version: tls.ssl().version_str().to_string(),
            took: started.elapsed(),
            certificate: tls.ssl().peer_certificate(),
        }),
        Err(HandshakeError::Failure(mid)) => {
            let ssl = mid.ssl();
            let verified = ssl.verify_result();
            if verified == X509VerifyResult::OK {
                return Err(TlsFailure::new(format!(
                    "handshake failed: {}",
                    mid.error()
                )));
            }
            Err(TlsFailure {
                reason: format!("certificate verify failed: {}", verified.error_string()),
                verify_error: Some(verified.as_raw()),
                certificate: ssl.peer_certificate().or_else(|| {
                    presented
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .take()
                }),
            })
        }
        Err(HandshakeError::WouldBlock(_)) => Err(TlsFailure::new(format!(
            "no handshake within {} s",
            timeout.as_secs_f64()
        ))),
        Err(HandshakeError::SetupFailure(err)) => Err(TlsFailure::new(format!(
            "cannot set up the handshake: {err}"
        ))),
    }
}

/// Subject, names, issuer and expiry, one a line.
fn describe_certificate(cert: &X509) -> Vec<String> {
    let mut lines = vec![format!("subject {}", describe_name(cert.subject_name()))];
    let names: Vec<String> = cert
        .subject_alt_names()
        .map(|names| {
            names
                .iter()
                .filter_map(|name| {
                    name.dnsname()
                        .map(str::to_owned)
                        .or_else(|| name.ipaddress().map(describe_ip))
                })
                .collect()
        })
        .unwrap_or_default();
    if !names.is_empty() {
        lines.push(format!("names {}", names.join(", ")));
    }
    lines.push(format!("issuer {}", describe_name(cert.issuer_name())));
    match to_system_time(cert.not_after()) {
        Some(expires) => lines.push(format!(
            "expires {}",
            describe_from_now(expires, SystemTime::now())
        )),
        None => lines.push(format!("expires {}", cert.not_after())),
    }
    lines
}

fn describe_name(name: &X509NameRef) -> String {
    name.entries()
        .map(|entry| {
            let key = entry.object().nid().short_name().unwrap_or("?");
            let value = entry.data().to_string().unwrap_or_else(|_| "?".to_string());
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_ip(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes)
            .map(|octets| std::net::Ipv4Addr::from(octets).to_string())
            .unwrap_or_default(),
        16 => <[u8; 16]>::try_from(bytes)
            .map(|octets| std::net::Ipv6Addr::from(octets).to_string())
            .unwrap_or_default(),
        _ => "?".to_string(),
    }
}

fn to_system_time(time: &Asn1TimeRef) -> Option<SystemTime> {
    let epoch = Asn1Time::from_unix(0).ok()?;
    let diff = epoch.diff(time).ok()?;
    let seconds = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).ok()?))
}
