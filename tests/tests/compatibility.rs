//! `eventbus::check_compatibility` beside the registry's own compatibility
//! check: every case of the core's table is sent to the local Apicurio
//! registry, and its answer compared with ours. Our verdicts follow the Avro
//! specification and are asserted as such; where the registry answers
//! otherwise, the difference must be one of the known, explained ones below,
//! and a known difference the registry no longer shows fails the test too,
//! so the list stays true. Run by `cargo xtask test`; ignored by a plain
//! `cargo test`.

use eventbus::{CompatibilityMode, CompiledSchema, PreviousVersion, check_compatibility};
use eventbus_stack_tests::{register, registry_api, repo_root, unique_topic};
use serde_json::{Value, json};

/// Where the registry's answer departs from ours, by case and mode (for
/// histories, the mode and the endpoint asked), with the reason. On every
/// schema pair Apicurio 3 applies the Avro resolution rules as we do; the
/// differences are in which earlier versions its two endpoints compare with.
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
    (FIELD_DROPPED, "FORWARD versions", ALL_VERSIONS_ALWAYS),
    (FIELD_DROPPED, "FULL versions", ALL_VERSIONS_ALWAYS),
    (
        FIELD_DROPPED,
        "FORWARD_TRANSITIVE versions/latest",
        LATEST_ONLY,
    ),
    (
        FIELD_DROPPED,
        "FULL_TRANSITIVE versions/latest",
        LATEST_ONLY,
    ),
    (DEFAULT_REMOVED, "BACKWARD versions", ALL_VERSIONS_ALWAYS),
    (DEFAULT_REMOVED, "FULL versions", ALL_VERSIONS_ALWAYS),
    (
        DEFAULT_REMOVED,
        "BACKWARD_TRANSITIVE versions/latest",
        LATEST_ONLY,
    ),
    (
        DEFAULT_REMOVED,
        "FULL_TRANSITIVE versions/latest",
        LATEST_ONLY,
    ),
];

const FIELD_DROPPED: &str = "field_dropped_after_gaining_a_default";
const DEFAULT_REMOVED: &str = "default_removed_from_a_field_added_later";

const LATEST_ONLY: &str = "asked about versions/latest, the registry compares with that one \
    version even in a transitive mode, so it misses the break with version 1";

const ALL_VERSIONS_ALWAYS: &str = "asked about all versions, the registry compares with every \
    version even in a plain mode, which checks the latest only, so it reports a break with \
    version 1 that the mode allows";

const PLAIN_MODES: [CompatibilityMode; 3] = [
    CompatibilityMode::Backward,
    CompatibilityMode::Forward,
    CompatibilityMode::Full,
];

fn cases() -> Value {
    let path = repo_root().join("crates/eventbus/tests/data/compatibility-cases.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_json::from_str(&text).expect("the cases file is JSON")
}

fn compiled(schema: &Value) -> CompiledSchema {
    CompiledSchema::parse(&schema.to_string(), "a test case").expect("a test schema is valid")
}

fn send(method: &str, path: &str, body: Value) -> Value {
    let url = format!("{}{path}", registry_api());
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(&url)
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .body(body.to_string())
        .unwrap_or_else(|err| panic!("{method} {url}: {err}"));
    let mut response = ureq::run(request).unwrap_or_else(|err| panic!("{method} {url}: {err}"));
    let text = response
        .body_mut()
        .read_to_string()
        .unwrap_or_else(|err| panic!("{method} {url}: {err}"));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{method} {url}: {err}: {text}"))
}

fn set_mode(subject: &str, mode: CompatibilityMode) {
    let answer = send(
        "PUT",
        &format!("/config/{subject}"),
        json!({ "compatibility": mode.as_str() }),
    );
    assert_eq!(answer["compatibility"], mode.as_str(), "{answer}");
}

/// The registry's verdict on `schema` against `versions` of `subject`:
/// `latest`, or empty for every version the mode calls for.
fn registry_verdict(subject: &str, versions: &str, schema: &Value) -> bool {
    let path = match versions {
        "" => format!("/compatibility/subjects/{subject}/versions"),
        version => format!("/compatibility/subjects/{subject}/versions/{version}"),
    };
    let answer = send("POST", &path, json!({ "schema": schema.to_string() }));
    answer["is_compatible"]
        .as_bool()
        .unwrap_or_else(|| panic!("no is_compatible in {answer}"))
}

fn known_difference(case: &str, key: &str) -> Option<&'static str> {
    KNOWN_DIFFERENCES
        .iter()
        .find(|(known_case, known_key, _)| *known_case == case && *known_key == key)
        .map(|(_, _, why)| *why)
}

/// Collects each comparison into a printed table and the problems found.
#[derive(Default)]
struct Agreement {
    rows: Vec<String>,
    problems: Vec<String>,
}

impl Agreement {
    fn compare(&mut self, case: &str, key: &str, ours: bool, expected: bool, registry: bool) {
        let verdict = |compatible: bool| if compatible { "yes" } else { "no" };
        let known = known_difference(case, key);
        let note = match (registry == ours, known) {
            (true, None) => "agree".to_string(),
            (false, Some(why)) => format!("known difference: {why}"),
            (true, Some(_)) => {
                self.problems.push(format!(
                    "{case} {key}: listed as a known difference, but the registry agrees"
                ));
                "agree, yet listed as a difference".to_string()
            }
            (false, None) => {
                self.problems.push(format!(
                    "{case} {key}: the registry says {}, we say {}",
                    verdict(registry),
                    verdict(ours)
                ));
                "UNEXPLAINED DIFFERENCE".to_string()
            }
        };
        if ours != expected {
            self.problems.push(format!(
                "{case} {key}: we say {}, the specification {}",
                verdict(ours),
                verdict(expected)
            ));
        }
        self.rows.push(format!(
            "{case:<40} {key:<32} ours {:<3} registry {:<3} {note}",
            verdict(ours),
            verdict(registry)
        ));
    }

    fn finish(self) {
        println!("{}", self.rows.join("\n"));
        assert!(
            self.problems.is_empty(),
            "{}\n\n{}",
            self.problems.join("\n"),
            self.rows.join("\n")
        );
    }
}

#[test]
#[ignore = "needs the local stack: run through `cargo xtask test`"]
fn our_verdicts_beside_the_registry_for_every_pair_and_mode() {
    let cases = cases();
    let mut agreement = Agreement::default();
    for case in cases["pairs"].as_array().expect("pairs") {
        let name = case["name"].as_str().expect("a name");
        let old = compiled(&case["old"]);
        let new = compiled(&case["new"]);
        for mode in PLAIN_MODES {
            let previous = [PreviousVersion {
                version: 1,
                schema: &old,
            }];
            let ours = check_compatibility(&new, &previous, mode)
                .expect("the check runs")
                .is_compatible();
            let expected = case["expect"][mode.as_str()].as_bool().expect("a verdict");

            let subject = unique_topic(&format!("compat-{name}-{}", mode.as_str()));
            register(&subject, &case["old"].to_string());
            set_mode(&subject, mode);
            let registry = registry_verdict(&subject, "latest", &case["new"]);

            agreement.compare(name, mode.as_str(), ours, expected, registry);
        }
    }
    agreement.finish();
}

#[test]
#[ignore = "needs the local stack: run through `cargo xtask test`"]
fn our_verdicts_beside_the_registry_for_three_version_histories() {
    let cases = cases();
    let mut agreement = Agreement::default();
    for case in cases["histories"].as_array().expect("histories") {
        let name = case["name"].as_str().expect("a name");
        let versions: Vec<&Value> = case["versions"]
            .as_array()
            .expect("versions")
            .iter()
            .collect();
        let compiled_versions: Vec<CompiledSchema> =
            versions.iter().map(|schema| compiled(schema)).collect();
        let previous: Vec<PreviousVersion<'_>> = compiled_versions
            .iter()
            .zip(1..)
            .map(|(schema, version)| PreviousVersion { version, schema })
            .collect();
        let new = compiled(&case["new"]);

        for mode in CompatibilityMode::ALL {
            let ours = check_compatibility(&new, &previous, mode)
                .expect("the check runs")
                .is_compatible();
            let expected = case["expect"][mode.as_str()].as_bool().expect("a verdict");

            let subject = unique_topic(&format!("compat-{name}-{}", mode.as_str()));
            // The mode is set after the history is in, so that the history
            // itself need not pass it.
            for version in &versions {
                register(&subject, &version.to_string());
            }
            set_mode(&subject, mode);
            for endpoint in ["latest", ""] {
                let registry = registry_verdict(&subject, endpoint, &case["new"]);
                let key = match endpoint {
                    "" => format!("{} versions", mode.as_str()),
                    _ => format!("{} versions/latest", mode.as_str()),
                };
                agreement.compare(name, &key, ours, expected, registry);
            }
        }
    }
    agreement.finish();
}
