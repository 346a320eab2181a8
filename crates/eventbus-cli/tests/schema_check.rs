//! `eventbus schema check`: the verdict line, one line per breaking change,
//! and the exit codes a CI job switches on (0 compatible, 1 incompatible,
//! 2 no verdict). The verdicts themselves are the core's and are tested
//! there; these tests check what the command makes of them.

mod support;

use std::path::PathBuf;

use serde_json::json;
use support::{RegistryStandIn, assert_no_panic, eventbus, stderr, stdout};

const V1: &str = r#"{"type": "record", "name": "AppointmentEvent", "fields": [
    {"name": "appointmentId", "type": "string"},
    {"name": "clinicName", "type": "string"}]}"#;

/// Version 1 with a default on `clinicName`.
const V2: &str = r#"{"type": "record", "name": "AppointmentEvent", "fields": [
    {"name": "appointmentId", "type": "string"},
    {"name": "clinicName", "type": "string", "default": ""}]}"#;

/// `clinicName` dropped, and a required `facilityId` added.
const V3: &str = r#"{"type": "record", "name": "AppointmentEvent", "fields": [
    {"name": "appointmentId", "type": "string"},
    {"name": "facilityId", "type": "string"}]}"#;

/// `clinicName` dropped only.
const V3_COMPATIBLE: &str = r#"{"type": "record", "name": "AppointmentEvent", "fields": [
    {"name": "appointmentId", "type": "string"}]}"#;

/// Writes `text` to a file of its own for this test and returns its path.
fn schema_file(test: &str, name: &str, text: &str) -> PathBuf {
    let directory = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("schema-check")
        .join(test);
    std::fs::create_dir_all(&directory).unwrap();
    let path = directory.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_compatible_schema_prints_one_verdict_line_and_exits_0() {
    let old = schema_file("compatible", "v2.avsc", V2);
    let new = schema_file("compatible", "v3.avsc", V3_COMPATIBLE);

    let output = eventbus()
        .args(["schema", "check"])
        .arg(&new)
        .arg("--against")
        .arg(&old)
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!(
            "compatible under BACKWARD with version 1 ({})\n",
            old.display()
        )
    );
    assert_eq!(stderr(&output), "");
}

#[test]
fn each_breaking_change_gets_a_line_and_the_exit_code_is_1() {
    let old = schema_file("incompatible", "v2.avsc", V2);
    let new = schema_file("incompatible", "v3.avsc", V3);

    let output = eventbus()
        .args(["schema", "check"])
        .arg(&new)
        .arg("--against")
        .arg(&old)
        .args(["--mode", "full"])
        .output()
        .unwrap();

    assert_no_panic(&output);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let stdout = stdout(&output);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "incompatible under FULL with version 1 ({}): 1 breaking change",
                old.display()
            )
            .as_str(),
            "AppointmentEvent.facilityId: field `facilityId` was added without a default, so \
             this schema cannot read events written with version 1, which lack it",
        ]
    );
    assert_eq!(
        stderr(&output),
        "eventbus: the new schema is incompatible: 1 breaking change\n"
    );
}

#[test]
fn transitive_modes_check_every_file_given_in_order() {
    let v1 = schema_file("transitive", "v1.avsc", V1);
    let v2 = schema_file("transitive", "v2.avsc", V2);
    let new = schema_file("transitive", "v3.avsc", V3_COMPATIBLE);
    let run = |mode: &str| {
        eventbus()
            .args(["schema", "check"])
            .arg(&new)
            .arg("--against")
            .args([&v1, &v2])
            .args(["--mode", mode])
            .output()
            .unwrap()
    };

    // Version 2 gave clinicName a default, so its readers cope without it.
    let forward = run("forward");
    assert_eq!(forward.status.code(), Some(0), "{}", stdout(&forward));
    assert!(stdout(&forward).contains(&format!("version 2 ({})", v2.display())));

    let transitive = run("forward-transitive");
    assert_eq!(transitive.status.code(), Some(1), "{}", stdout(&transitive));
    let stdout = stdout(&transitive);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(
        lines[0],
        format!(
            "incompatible under FORWARD_TRANSITIVE with version 1 ({}), version 2 ({}): 1 \
             breaking change",
            v1.display(),
            v2.display()
        )
    );
    assert_eq!(
        lines[1],
        "AppointmentEvent.clinicName: field `clinicName` was removed, and readers of version 1 \
         need it (it has no default)"
    );
}

#[test]
fn a_subject_is_checked_against_its_registered_versions() {
    let registry = RegistryStandIn::start(vec![
        (
            "/apis/ccompat/v7/subjects/appointments-value/versions".into(),
            json!([1, 2]),
        ),
        (
            "/apis/ccompat/v7/subjects/appointments-value/versions/1".into(),
            json!({"subject": "appointments-value", "version": 1, "id": 21, "schema": V1}),
        ),
        (
            "/apis/ccompat/v7/subjects/appointments-value/versions/2".into(),
            json!({"subject": "appointments-value", "version": 2, "id": 22, "schema": V2}),
        ),
    ]);
    let new = schema_file("subject", "v3.avsc", V3);

    let output = eventbus()
        .args(["schema", "check"])
        .arg(&new)
        .args(["--subject", "appointments-value", "--mode", "backward"])
        .env("SCHEMA_REGISTRY_URL", &registry.url)
        .env("SCHEMA_REGISTRY_PATH_PREFIX", "/apis/ccompat/v7")
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let stdout = stdout(&output);
    assert!(
        stdout.starts_with(
            "incompatible under BACKWARD with version 2 of subject appointments-value: 1 \
             breaking change\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("AppointmentEvent.facilityId: field `facilityId`"));
    // Only reads: the list of versions, then each version.
    assert!(
        registry
            .requests()
            .iter()
            .all(|path| path.contains("/subjects/"))
    );
}

#[test]
fn without_a_verdict_the_exit_code_is_2() {
    let new = schema_file("undecided", "v3.avsc", V3);

    let neither = eventbus()
        .args(["schema", "check"])
        .arg(&new)
        .output()
        .unwrap();
    assert_eq!(neither.status.code(), Some(2));
    assert!(
        stderr(&neither).starts_with("eventbus: "),
        "{}",
        stderr(&neither)
    );

    let missing_file = eventbus()
        .args(["schema", "check"])
        .arg(&new)
        .args(["--against", "no-such-file.avsc"])
        .output()
        .unwrap();
    assert_eq!(missing_file.status.code(), Some(2));
    assert!(
        stderr(&missing_file).contains("cannot read schema file no-such-file.avsc"),
        "{}",
        stderr(&missing_file)
    );

    let no_registry = eventbus()
        .args(["schema", "check"])
        .arg(&new)
        .args(["--subject", "appointments-value"])
        .output()
        .unwrap();
    assert_eq!(no_registry.status.code(), Some(2));
    assert!(stderr(&no_registry).contains("needs a schema registry"));

    let unknown_subject = RegistryStandIn::start(Vec::new());
    let not_found = eventbus()
        .args(["schema", "check"])
        .arg(&new)
        .args([
            "--subject",
            "nobody-value",
            "--registry",
            &unknown_subject.url,
        ])
        .output()
        .unwrap();
    assert_eq!(not_found.status.code(), Some(2));
    assert!(
        stderr(&not_found).contains("nobody-value"),
        "{}",
        stderr(&not_found)
    );

    let bad_mode = eventbus()
        .args(["schema", "check"])
        .arg(&new)
        .args(["--against", "x.avsc", "--mode", "sideways"])
        .output()
        .unwrap();
    assert_eq!(bad_mode.status.code(), Some(2));
}

#[test]
fn help_lists_the_modes_and_exit_codes() {
    let output = eventbus()
        .args(["schema", "check", "--help"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = stdout(&output);
    for text in [
        "backward-transitive",
        "--subject",
        "--against",
        "Exit code: 0 compatible",
    ] {
        assert!(help.contains(text), "{text} missing from:\n{help}");
    }
}
