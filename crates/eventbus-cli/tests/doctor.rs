//! `eventbus doctor` run as a user would, each check against something in
//! the test process: librdkafka's mock cluster for the brokers, a loopback
//! HTTP stand-in for the registry, a TLS server with a throwaway CA for the
//! handshake, and names and ports that cannot answer for the failures. No
//! AWS credentials are found (the support module hides them), so with
//! SASL_SSL the AWS checks fail and the tests look at the lines before them.

mod support;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Output;

use assert_cmd::Command;
use eventbus::CompiledSchema;
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{SslAcceptor, SslMethod};
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509, X509Name, X509NameBuilder};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;

use support::{RegistryStandIn, assert_no_panic, eventbus, example, schema_route, stderr, stdout};

const USER_SCHEMA_ID: u32 = 1;

fn cluster() -> MockCluster<'static, DefaultProducerContext> {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("users", 3, 1).unwrap();
    cluster
}

/// `doctor` with a short time limit for the network steps.
fn doctor() -> Command {
    let mut doctor = eventbus();
    doctor.args(["doctor", "--timeout", "5"]);
    doctor
}

/// `doctor` against `servers` in plain text.
fn plaintext_doctor(servers: &str) -> Command {
    let mut doctor = doctor();
    doctor
        .args(["--bootstrap-servers", servers])
        .args(["--security-protocol", "PLAINTEXT"]);
    doctor
}

/// The report line of `check`, such as `FAIL  dns nowhere.invalid: ...`.
fn line<'a>(report: &'a str, check: &str) -> &'a str {
    report
        .lines()
        .filter(|line| !line.starts_with(' '))
        .find(|line| line.get(6..).is_some_and(|rest| rest.starts_with(check)))
        .unwrap_or_else(|| panic!("no line for {check:?} in\n{report}"))
}

/// The indented lines under `check`'s line.
fn lines_under<'a>(report: &'a str, check: &str) -> Vec<&'a str> {
    let start = line(report, check);
    report
        .lines()
        .skip_while(|line| *line != start)
        .skip(1)
        .take_while(|line| line.starts_with("      "))
        .map(str::trim)
        .collect()
}

fn assert_failed(output: &Output, failures: usize) {
    assert_eq!(output.status.code(), Some(1), "{}", stdout(output));
    let report = stdout(output);
    let failed = report.lines().filter(|l| l.starts_with("FAIL  ")).count();
    assert_eq!(failed, failures, "{report}");
    assert!(
        report.contains(&format!(", {failures} FAIL, ")),
        "the tally counts them: {report}"
    );
    assert!(
        stderr(output)
            .trim_end()
            .ends_with("failed; its fix is under it")
            || stderr(output)
                .trim_end()
                .ends_with("each one's fix is under it"),
        "{}",
        stderr(output)
    );
    assert_no_panic(output);
}

#[test]
fn a_plaintext_run_against_a_mock_cluster_and_registry_passes() {
    let cluster = cluster();
    let registry = RegistryStandIn::start(vec![schema_route(USER_SCHEMA_ID, "schemas/user.avsc")]);
    let schema = CompiledSchema::parse(&example("schemas/user.avsc"), "test").unwrap();

    let output = plaintext_doctor(&cluster.bootstrap_servers())
        .args(["--registry", &registry.url])
        .args(["--topic", &format!("users={USER_SCHEMA_ID}")])
        .output()
        .unwrap();

    let report = stdout(&output);
    assert!(output.status.success(), "{report}\n{}", stderr(&output));
    assert!(report.starts_with("eventbus doctor "), "{report}");
    assert!(!report.lines().any(|l| l.starts_with("FAIL")), "{report}");
    assert!(report.trim_end().ends_with(", 0 FAIL, 4 skip"), "{report}");
    assert!(
        line(&report, "configuration").starts_with("ok    "),
        "{report}"
    );
    assert!(line(&report, "security protocol").starts_with("warn  "));
    assert!(line(&report, "dns ").starts_with("ok    "));
    assert!(line(&report, "tcp ").starts_with("ok    "));
    for skipped in ["tls", "aws credentials", "msk iam token"] {
        assert!(line(&report, skipped).starts_with("skip  "), "{report}");
    }
    assert!(
        line(&report, "brokers").starts_with("ok    brokers: connected over PLAINTEXT"),
        "{report}"
    );
    assert_eq!(lines_under(&report, "brokers").len(), 1, "{report}");
    assert_eq!(
        line(&report, "topic users"),
        "ok    topic users: 3 partitions"
    );
    assert!(line(&report, "registry ").starts_with("ok    "), "{report}");
    let schema_line = line(&report, "schema id 1");
    assert!(schema_line.starts_with("ok    "), "{schema_line}");
    assert!(schema_line.contains(schema.fingerprint()), "{schema_line}");
    assert!(schema_line.contains("for value of users"), "{schema_line}");
    assert_eq!(registry.requests(), ["/schemas/ids/1"]);
    assert!(stderr(&output).is_empty(), "{}", stderr(&output));
}

#[test]
fn an_unresolvable_host_fails_dns_and_skips_what_needs_it() {
    let output = plaintext_doctor("nowhere.invalid:9098")
        .args(["--topic", "users"])
        .output()
        .unwrap();

    assert_failed(&output, 1);
    let report = stdout(&output);
    assert!(
        line(&report, "dns nowhere.invalid")
            .starts_with("FAIL  dns nowhere.invalid: does not resolve"),
        "{report}"
    );
    let fix = lines_under(&report, "dns nowhere.invalid");
    assert!(fix.len() == 1 && fix[0].starts_with("fix: "), "{report}");
    for skipped in [
        "tcp nowhere.invalid:9098",
        "brokers",
        "topic users",
        "registry",
    ] {
        assert!(line(&report, skipped).starts_with("skip  "), "{report}");
    }
}

#[test]
fn a_refused_port_fails_tcp() {
    let output = plaintext_doctor("127.0.0.1:9").output().unwrap();

    assert_failed(&output, 1);
    let report = stdout(&output);
    assert!(
        line(&report, "dns 127.0.0.1").starts_with("ok    "),
        "{report}"
    );
    let tcp = line(&report, "tcp 127.0.0.1:9");
    assert!(tcp.starts_with("FAIL  "), "{report}");
    assert!(tcp.to_lowercase().contains("refused"), "{tcp}");
    let fix = lines_under(&report, "tcp 127.0.0.1:9");
    assert!(fix[0].contains("port 9"), "{report}");
    assert!(line(&report, "brokers").starts_with("skip  "), "{report}");
}

#[test]
fn an_unknown_schema_id_fails_the_registry_check_naming_it() {
    let cluster = cluster();
    let registry = RegistryStandIn::start(vec![schema_route(USER_SCHEMA_ID, "schemas/user.avsc")]);

    let output = plaintext_doctor(&cluster.bootstrap_servers())
        .args(["--registry", &registry.url])
        .args(["--topic", "users=1:99"])
        .output()
        .unwrap();

    assert_failed(&output, 1);
    let report = stdout(&output);
    assert!(
        line(&report, "schema id 1").starts_with("ok    "),
        "{report}"
    );
    let unknown = line(&report, "schema id 99");
    assert!(
        unknown.starts_with("FAIL  schema id 99: for key of users: schema not found: schema id 99"),
        "{report}"
    );
    assert!(lines_under(&report, "schema id 99")[0].starts_with("fix: "));
    assert!(
        line(&report, "topic users").starts_with("ok    "),
        "{report}"
    );
}

#[test]
fn an_unknown_security_protocol_fails_the_configuration_naming_the_allowed_ones() {
    let output = doctor()
        .args(["--bootstrap-servers", "b-1.example:9098"])
        .args(["--security-protocol", "TLS", "--topic", "users"])
        .output()
        .unwrap();

    assert_failed(&output, 1);
    let report = stdout(&output);
    let configuration = line(&report, "configuration");
    assert!(configuration.starts_with("FAIL  "), "{report}");
    assert!(
        configuration.contains("\"TLS\"")
            && configuration.contains("SASL_SSL")
            && configuration.contains("PLAINTEXT"),
        "{configuration}"
    );
    let checks: Vec<&str> = report
        .lines()
        .filter(|l| {
            ["ok    ", "warn  ", "FAIL  ", "skip  "]
                .iter()
                .any(|s| l.starts_with(s))
        })
        .skip(1)
        .collect();
    assert!(!checks.is_empty());
    assert!(checks.iter().all(|l| l.starts_with("skip  ")), "{report}");
}

#[test]
fn the_report_holds_no_secret() {
    let cluster = cluster();
    let output = doctor()
        .args(["--bootstrap-servers", &cluster.bootstrap_servers()])
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "the-secret-access-key")
        .env("AWS_SESSION_TOKEN", "the-session-token")
        .env(
            "SCHEMA_REGISTRY_URL",
            "http://reader:url-password@127.0.0.1:9",
        )
        .env(
            "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO",
            "reader:the-registry-password",
        )
        // STS is asked who the credentials are; keep the question on loopback.
        .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
        .output()
        .unwrap();

    let everything = format!("{}{}", stdout(&output), stderr(&output));
    for secret in [
        "the-secret-access-key",
        "the-session-token",
        "url-password",
        "the-registry-password",
    ] {
        assert!(!everything.contains(secret), "{secret} in\n{everything}");
    }
    // What is not secret is shown, so the Event Bus team can tell who asked.
    assert!(everything.contains("AKIDEXAMPLE"), "{everything}");
    assert!(everything.contains("basic auth as reader"), "{everything}");
    assert_no_panic(&output);
}

/// A throwaway CA, and a certificate it issued for `localhost` with its key.
struct Pki {
    ca: X509,
    server_certificate: X509,
    server_key: PKey<Private>,
}

fn name(common_name: &str) -> X509Name {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", common_name).unwrap();
    name.build()
}

fn key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

fn pki() -> Pki {
    let ca_key = key();
    let ca_name = name("eventbus test CA");
    let mut ca = X509::builder().unwrap();
    ca.set_version(2).unwrap();
    let serial = BigNum::from_u32(1).unwrap().to_asn1_integer().unwrap();
    ca.set_serial_number(&serial).unwrap();
    ca.set_subject_name(&ca_name).unwrap();
    ca.set_issuer_name(&ca_name).unwrap();
    ca.set_pubkey(&ca_key).unwrap();
    ca.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    ca.set_not_after(&Asn1Time::days_from_now(365).unwrap())
        .unwrap();
    ca.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
        .unwrap();
    ca.append_extension(
        KeyUsage::new()
            .critical()
            .key_cert_sign()
            .crl_sign()
            .build()
            .unwrap(),
    )
    .unwrap();
    ca.sign(&ca_key, MessageDigest::sha256()).unwrap();
    let ca = ca.build();

    let server_key = key();
    let mut server = X509::builder().unwrap();
    server.set_version(2).unwrap();
    let serial = BigNum::from_u32(2).unwrap().to_asn1_integer().unwrap();
    server.set_serial_number(&serial).unwrap();
    server.set_subject_name(&name("localhost")).unwrap();
    server.set_issuer_name(ca.subject_name()).unwrap();
    server.set_pubkey(&server_key).unwrap();
    server
        .set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    server
        .set_not_after(&Asn1Time::days_from_now(200).unwrap())
        .unwrap();
    let names = SubjectAlternativeName::new()
        .dns("localhost")
        .build(&server.x509v3_context(Some(&ca), None))
        .unwrap();
    server.append_extension(names).unwrap();
    server
        .append_extension(ExtendedKeyUsage::new().server_auth().build().unwrap())
        .unwrap();
    server.sign(&ca_key, MessageDigest::sha256()).unwrap();
    Pki {
        ca,
        server_certificate: server.build(),
        server_key,
    }
}

/// Serves TLS handshakes with the server certificate on a loopback port,
/// one connection after another, and returns the port.
fn serve_tls(pki: &Pki) -> u16 {
    let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
    acceptor.set_private_key(&pki.server_key).unwrap();
    acceptor.set_certificate(&pki.server_certificate).unwrap();
    acceptor.check_private_key().unwrap();
    let acceptor = acceptor.build();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            // The TCP check connects and leaves at once; a client that
            // refuses the certificate aborts. Neither stops the server.
            let _ = acceptor.accept(stream);
        }
    });
    port
}

fn ca_file(pki: &Pki, name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, pki.ca.to_pem().unwrap()).unwrap();
    path
}

#[test]
fn tls_passes_with_the_ca_that_issued_the_certificate_and_fails_without_it() {
    let pki = pki();
    let port = serve_tls(&pki);
    let server = format!("localhost:{port}");
    let tls_check = format!("tls {server}");
    let ca = ca_file(&pki, "doctor-test-ca.pem");

    let trusted = doctor()
        .args(["--bootstrap-servers", &server])
        .env("EB_SSL_CA_LOCATION", &ca)
        .output()
        .unwrap();
    let report = stdout(&trusted);
    let tls = line(&report, &tls_check);
    assert!(tls.starts_with("ok    "), "{report}");
    assert!(tls.contains("EB_SSL_CA_LOCATION"), "{tls}");
    assert!(tls.contains("for localhost"), "{tls}");
    let details = lines_under(&report, &tls_check);
    assert!(details.contains(&"subject CN=localhost"), "{report}");
    assert!(details.contains(&"issuer CN=eventbus test CA"), "{report}");
    let expires = details
        .iter()
        .find(|l| l.starts_with("expires "))
        .unwrap_or_else(|| panic!("no expiry in\n{report}"));
    assert!(expires.contains("(in 199 days"), "{expires}");
    assert_no_panic(&trusted);

    let untrusted = doctor()
        .args(["--bootstrap-servers", &server])
        .output()
        .unwrap();
    let report = stdout(&untrusted);
    let tls = line(&report, &tls_check);
    assert!(tls.starts_with("FAIL  "), "{report}");
    assert!(tls.contains("certificate verify failed: "), "{tls}");
    let under = lines_under(&report, &tls_check);
    assert!(under.contains(&"subject CN=localhost"), "{report}");
    let fix = under.last().copied().unwrap_or_default();
    assert!(
        fix.starts_with("fix: ") && fix.contains("EB_SSL_CA_LOCATION"),
        "{report}"
    );
    assert_eq!(untrusted.status.code(), Some(1));
}

#[test]
fn tls_checks_the_host_name_against_the_certificate() {
    let pki = pki();
    let port = serve_tls(&pki);
    let server = format!("127.0.0.1:{port}");
    let ca = ca_file(&pki, "doctor-test-ca-for-names.pem");

    let output = doctor()
        .args(["--bootstrap-servers", &server])
        .env("EB_SSL_CA_LOCATION", &ca)
        .output()
        .unwrap();

    let report = stdout(&output);
    let tls = line(&report, &format!("tls {server}"));
    assert!(tls.starts_with("FAIL  "), "{report}");
    assert!(tls.contains("mismatch"), "{tls}");
    let fix = lines_under(&report, &format!("tls {server}"));
    assert!(
        fix.last()
            .is_some_and(|f| f.contains("does not name 127.0.0.1")),
        "{report}"
    );
}
