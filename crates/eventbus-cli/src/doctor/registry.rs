//! The schema registry: can each configured URL's host be reached, and does
//! each pinned schema id exist there. Lookups are the core's
//! [`RegistryClient`], with the registry settings the producer would use.

use std::collections::BTreeMap;
use std::time::Duration;

use eventbus::config::RetryPolicy;
use eventbus::{Config, ErrorKind, RegistryClient};

use super::TopicCheck;
use super::checklist::Checklist;
use super::network::{connect, resolve};

/// Reaches each registry URL, then fetches each schema id the topics pin.
pub fn check_registry(
    config: &Config,
    topics: &[TopicCheck],
    timeout: Duration,
    checks: &mut Checklist,
) {
    let schema_ids = pinned_ids(topics);
    let Some(registry) = config.registry() else {
        checks.skip(
            "registry",
            "none configured (SCHEMA_REGISTRY_URL or --registry)",
        );
        for schema_id in schema_ids.keys() {
            checks.skip(&format!("schema id {schema_id}"), "no registry configured");
        }
        return;
    };

    let mut reachable = false;
    for url in &registry.urls {
        let check = format!("registry {}", redact_user_info(url));
        let Some((host, port)) = host_and_port(url) else {
            checks.fail(
                &check,
                "no host in the URL",
                "give SCHEMA_REGISTRY_URL as http(s)://host[:port]",
            );
            continue;
        };
        let fix = "check SCHEMA_REGISTRY_URL against the Event Catalog, and that this host may \
                   reach the registry (proxy, firewall, VPN)";
        match resolve(&host, port, timeout) {
            Err(reason) => checks.fail(&check, format!("{host} does not resolve: {reason}"), fix),
            Ok(addresses) => match connect(&addresses, timeout) {
                Ok((address, took)) => {
                    reachable = true;
                    checks.ok(
                        &check,
                        format!("connected to {address} in {} ms", took.as_millis()),
                    );
                }
                Err(problem) => checks.fail(&check, problem.reason, fix),
            },
        }
    }
    if !reachable {
        for schema_id in schema_ids.keys() {
            checks.skip(&format!("schema id {schema_id}"), "no registry URL reached");
        }
        return;
    }

    if schema_ids.is_empty() {
        checks.detail("no schema id to look up: --topic NAME=VALUE_ID[:KEY_ID] gives them");
        return;
    }

    // One request each, with the run's time limit, instead of the
    // producer's retries over ten seconds.
    let mut settings = registry.clone();
    settings.request_timeout = timeout;
    settings.retry = RetryPolicy {
        total_time: Duration::ZERO,
        ..RetryPolicy::default()
    };
    let client = match RegistryClient::new(&settings) {
        Ok(client) => client,
        Err(err) => {
            checks.fail(
                "registry client",
                err,
                "correct the registry settings (SCHEMA_REGISTRY_*)",
            );
            return;
        }
    };
    for (schema_id, uses) in schema_ids {
        let check = format!("schema id {schema_id}");
        let uses = uses.join(", ");
        match client.schema_by_id(schema_id) {
            Ok(schema) => checks.ok(
                &check,
                format!(
                    "{} {}, for {uses}",
                    schema_name(schema.canonical_form()),
                    schema.fingerprint()
                ),
            ),
            Err(err) if err.kind() == ErrorKind::SchemaNotFound => checks.fail(
                &check,
                format!("for {uses}: {err}"),
                format!(
                    "check schema id {schema_id} against the Event Catalog: the Event Bus team \
                     assigns the ids, and the producer pins them"
                ),
            ),
            Err(err) => checks.fail(
                &check,
                format!("for {uses}: {err}"),
                "check SCHEMA_REGISTRY_URL, SCHEMA_REGISTRY_PATH_PREFIX and the registry's \
                 credentials (SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO)",
            ),
        }
    }
}

/// Each schema id the topics pin, with what pins it (`value of users`).
fn pinned_ids(topics: &[TopicCheck]) -> BTreeMap<u32, Vec<String>> {
    let mut ids: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for topic in topics {
        let pins = [
            ("value", topic.value_schema_id),
            ("key", topic.key_schema_id),
        ];
        for (part, schema_id) in pins {
            if let Some(schema_id) = schema_id {
                ids.entry(schema_id)
                    .or_default()
                    .push(format!("{part} of {}", topic.name));
            }
        }
    }
    ids
}

/// `record com.example.User`, read from the canonical form.
fn schema_name(canonical_form: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(canonical_form).ok();
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|schema| schema.get(name))
            .and_then(|value| value.as_str())
            .map(str::to_owned)
    };
    match (field("type"), field("name")) {
        (Some(kind), Some(name)) => format!("{kind} {name}"),
        (Some(kind), None) => kind,
        _ => match parsed.as_ref().and_then(|schema| schema.as_str()) {
            Some(primitive) => primitive.to_string(),
            None => "schema".to_string(),
        },
    }
}

/// The host and port of an `http://` or `https://` URL.
fn host_and_port(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let default_port = if scheme.eq_ignore_ascii_case("https") {
        443
    } else {
        80
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(':') && !port.contains(']') => {
            (host, port.parse().ok()?)
        }
        _ => (authority, default_port),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (!host.is_empty()).then(|| (host.to_string(), port))
}

/// The URL with any `user:password@` replaced, for the report.
pub fn redact_user_info(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://<redacted>@{host}{}", &rest[end..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_ports_come_from_the_url_with_scheme_defaults() {
        let cases = [
            ("http://registry:8081/apis", Some(("registry", 8081))),
            ("https://registry.example", Some(("registry.example", 443))),
            ("http://u:p@registry/x", Some(("registry", 80))),
            ("http://[::1]:8081", Some(("::1", 8081))),
            ("registry:8081", None),
        ];
        for (url, expected) in cases {
            let found = host_and_port(url);
            assert_eq!(
                found.as_ref().map(|(h, p)| (h.as_str(), *p)),
                expected,
                "{url}"
            );
        }
    }

    #[test]
    fn user_info_never_reaches_the_report() {
        assert_eq!(
            redact_user_info("https://user:secret@registry:8081/apis?x=1"),
            "https://<redacted>@registry:8081/apis?x=1"
        );
        assert_eq!(
            redact_user_info("http://registry/a@b"),
            "http://registry/a@b"
        );
    }

    #[test]
    fn schema_names_come_from_the_canonical_form() {
        assert_eq!(
            schema_name(r#"{"name":"com.example.User","type":"record","fields":[]}"#),
            "record com.example.User"
        );
        assert_eq!(schema_name(r#""string""#), "string");
    }
}
