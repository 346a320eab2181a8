use std::collections::HashMap;

use super::*;
use crate::ErrorKind;

fn from_vars(vars: &[(&str, &str)]) -> Result<Config> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ConfigBuilder::from_lookup(|name| vars.get(name).cloned()).build()
}

fn config_error(result: Result<Config>) -> String {
    let err = result.expect_err("settings should be refused");
    assert_eq!(err.kind(), ErrorKind::Config);
    err.to_string()
}

#[test]
fn reads_the_event_bus_sample_variables() {
    let config = from_vars(&[
        ("EB_BOOTSTRAP_SERVERS", "b-1.bus:9098,b-2.bus:9098"),
        ("EB_SECURITY_PROTOCOL", "sasl_ssl"),
        ("SCHEMA_REGISTRY_URL", "https://registry.bus"),
        ("SCHEMA_REGISTRY_PATH_PREFIX", "/apis/ccompat/v7"),
        ("AWS_ROLE", "arn:aws-us-gov:iam::123456789012:role/producer"),
    ])
    .unwrap();
    assert_eq!(config.bootstrap_servers(), ["b-1.bus:9098", "b-2.bus:9098"]);
    assert_eq!(config.security_protocol(), SecurityProtocol::SaslSsl);
    assert_eq!(config.aws().region, DEFAULT_AWS_REGION);
    assert_eq!(
        config.aws().role_arn.as_deref(),
        Some("arn:aws-us-gov:iam::123456789012:role/producer")
    );
    let registry = config.registry().unwrap();
    assert_eq!(registry.urls, ["https://registry.bus"]);
    assert_eq!(registry.path_prefix.as_deref(), Some("/apis/ccompat/v7"));
}

#[test]
fn reads_the_ruby_sample_aliases() {
    let config = from_vars(&[
        ("KAFKA_HOST", "localhost:9092"),
        ("SECURITY_PROTOCOL", "PLAINTEXT"),
        ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r"),
        ("AWS_REGION", "us-east-1"),
    ])
    .unwrap();
    assert_eq!(config.bootstrap_servers(), ["localhost:9092"]);
    assert_eq!(config.security_protocol(), SecurityProtocol::Plaintext);
    assert_eq!(config.aws().region, "us-east-1");
    assert!(config.registry().is_none());
}

#[test]
fn event_bus_rules_are_the_defaults() {
    let config = Config::builder()
        .bootstrap_servers("b-1.bus:9098")
        .build()
        .unwrap();
    let properties: HashMap<_, _> = config.librdkafka_properties().into_iter().collect();
    assert_eq!(properties["security.protocol"], "sasl_ssl");
    assert_eq!(properties["sasl.mechanisms"], "OAUTHBEARER");
    assert_eq!(properties["enable.idempotence"], "false");
    assert_eq!(properties["bootstrap.servers"], "b-1.bus:9098");
}

#[test]
fn idempotence_can_be_enabled_either_way_but_not_both_ways_at_once() {
    let typed = Config::builder()
        .bootstrap_servers("b:9098")
        .enable_idempotence(true)
        .build()
        .unwrap();
    assert!(typed.enable_idempotence());
    let property = Config::builder()
        .bootstrap_servers("b:9098")
        .kafka_property("enable.idempotence", "true")
        .build()
        .unwrap();
    assert!(property.enable_idempotence());
    assert!(
        !property
            .kafka_properties()
            .contains_key("enable.idempotence")
    );
    config_error(
        Config::builder()
            .bootstrap_servers("b:9098")
            .enable_idempotence(false)
            .kafka_property("enable.idempotence", "true")
            .build(),
    );
}

#[test]
fn unknown_protocol_names_the_value_and_the_allowed_ones() {
    let message = config_error(from_vars(&[
        ("EB_BOOTSTRAP_SERVERS", "b:9098"),
        ("EB_SECURITY_PROTOCOL", "SSL"),
    ]));
    assert!(message.contains("\"SSL\""), "{message}");
    assert!(
        message.contains("SASL_SSL") && message.contains("PLAINTEXT"),
        "{message}"
    );
}

#[test]
fn contradicting_properties_are_refused_with_the_reason() {
    let base = || Config::builder().bootstrap_servers("b:9098");
    let message = config_error(
        base()
            .kafka_property("sasl.mechanism", "SCRAM-SHA-512")
            .build(),
    );
    assert!(message.contains("OAUTHBEARER"), "{message}");
    let message = config_error(
        base()
            .kafka_property("security.protocol", "plaintext")
            .build(),
    );
    assert!(message.contains("EB_SECURITY_PROTOCOL"), "{message}");
    let message = config_error(
        base()
            .kafka_property("enable.ssl.certificate.verification", "false")
            .build(),
    );
    assert!(message.contains("cannot be turned off"), "{message}");
    let message = config_error(base().kafka_property("use.latest.version", "true").build());
    assert!(message.contains("serializer setting"), "{message}");
    // A property that agrees with the rules is fine and not repeated.
    let config = base()
        .kafka_property("sasl.mechanism", "OAUTHBEARER")
        .kafka_property("linger.ms", "20")
        .build()
        .unwrap();
    assert_eq!(config.kafka_properties().len(), 1);
}

#[test]
fn malformed_values_are_named() {
    let message = config_error(Config::builder().bootstrap_servers("b-1.bus").build());
    assert!(message.contains("\"b-1.bus\""), "{message}");
    config_error(Config::builder().build());
    let base = || Config::builder().bootstrap_servers("b:9098");
    assert!(config_error(base().aws_region("gov-west").build()).contains("region"));
    assert!(config_error(base().role_arn("producer").build()).contains("IAM ARN"));
    assert!(config_error(base().role_arn("arn:aws:iam::12:role/x").build()).contains("12-digit"));
    assert!(config_error(base().role_session_name("a b").build()).contains("session name"));
    assert!(config_error(base().schema_registry_url("registry:8081").build()).contains("http"));
    assert!(
        config_error(
            base()
                .schema_registry_url("http://r")
                .schema_registry_basic_auth("u")
                .build()
        )
        .contains("user:password")
    );
}

#[test]
fn registry_basic_auth_password_is_not_in_debug_output() {
    let config = Config::builder()
        .bootstrap_servers("b:9098")
        .schema_registry_url("https://r")
        .schema_registry_basic_auth("svc:hunter2")
        .build()
        .unwrap();
    let shown = format!("{config:?}");
    assert!(
        shown.contains("svc") && !shown.contains("hunter2"),
        "{shown}"
    );
}

#[cfg(feature = "kafka")]
#[test]
fn librdkafka_accepts_every_property_we_set() {
    use rdkafka::producer::BaseProducer;
    let config = Config::builder()
        .bootstrap_servers("127.0.0.1:9")
        .security_protocol("PLAINTEXT")
        .kafka_property("linger.ms", "5")
        .build()
        .unwrap();
    let producer: std::result::Result<BaseProducer, _> = config.client_config().create();
    assert!(producer.is_ok(), "{:?}", producer.err());
}

/// Runs `f` and returns what it logged.
fn logs_of(f: impl FnOnce()) -> String {
    use std::sync::{Arc, Mutex};
    let buffer = Arc::new(Mutex::new(Vec::<u8>::new()));
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || SharedWriter(writer.clone()))
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    let bytes = buffer.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
}

struct SharedWriter(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn sasl_ssl_on_an_unusual_port_warns_with_the_iam_ports() {
    let logs = logs_of(|| {
        Config::builder()
            .bootstrap_servers("b-1.bus:9092,b-2.bus:9198")
            .build()
            .unwrap();
    });
    assert!(logs.contains("WARN"), "{logs}");
    assert!(logs.contains("b-1.bus:9092") && logs.contains("9098") && logs.contains("9198"));
    assert!(!logs.contains("b-2.bus"), "{logs}");
    let quiet = logs_of(|| {
        Config::builder()
            .bootstrap_servers("localhost:9092")
            .security_protocol("PLAINTEXT")
            .build()
            .unwrap();
    });
    assert!(quiet.is_empty(), "{quiet}");
}

#[test]
fn enabling_idempotence_logs_the_permission_it_needs() {
    let logs = logs_of(|| {
        Config::builder()
            .bootstrap_servers("b:9098")
            .enable_idempotence(true)
            .build()
            .unwrap();
    });
    assert!(
        logs.contains("enable.idempotence=true needs IAM permissions"),
        "{logs}"
    );
}

#[test]
fn settings_by_name_reach_the_same_builder_methods() {
    let mut builder = ConfigBuilder::default();
    for name in ConfigBuilder::SETTINGS {
        let value = match *name {
            "bootstrap_servers" => "broker:9092",
            "security_protocol" => "PLAINTEXT",
            "enable_idempotence" => "false",
            "schema_registry_url" => "http://registry:8081",
            "aws_region" | "sts_region" => "us-gov-west-1",
            "role_arn" => "arn:aws-us-gov:iam::123456789012:role/producer",
            "schema_registry_path_prefix" => "/apis/ccompat/v7",
            "schema_registry_basic_auth" => "user:secret",
            _ => "value",
        };
        builder = builder.setting(name, value).unwrap();
    }
    let config = builder
        .clone()
        .setting("ssl_ca_location", "/ca.pem")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(config.bootstrap_servers(), ["broker:9092"]);
    assert_eq!(config.security_protocol(), SecurityProtocol::Plaintext);
    assert_eq!(
        config.aws().role_arn.as_deref(),
        Some("arn:aws-us-gov:iam::123456789012:role/producer")
    );
    assert_eq!(config.aws().role_session_name.as_deref(), Some("value"));
    assert_eq!(
        config.ssl_ca_location(),
        Some(std::path::Path::new("/ca.pem"))
    );
    assert!(!config.enable_idempotence());

    let unknown = builder
        .clone()
        .setting("bootstrap_server", "x")
        .unwrap_err();
    assert_eq!(unknown.kind(), ErrorKind::Config);
    assert!(
        unknown.to_string().contains("bootstrap_servers"),
        "{unknown}"
    );
    let malformed = builder.setting("enable_idempotence", "maybe").unwrap_err();
    assert!(malformed.to_string().contains("\"maybe\""), "{malformed}");
}
