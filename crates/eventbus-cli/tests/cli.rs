//! The built `eventbus` binary, run as a user would: arguments, stdin,
//! stdout, stderr and exit codes. Expected bytes come from the core library
//! so these tests check the CLI's plumbing, not the Avro encoding again.
//! The registry is an in-process HTTP stand-in on loopback.

mod support;

use base64::Engine;
use eventbus::{CompiledSchema, Serializer};
use serde_json::Value;

use support::{
    RegistryStandIn, assert_no_panic, eventbus, example, example_json, hex, schema_route, stderr,
    stdout,
};

#[test]
fn encode_user_record_gives_the_core_serializer_bytes() {
    let record = example_json("records/user.json");
    let expected = Serializer::from_schema_text(1, &example("schemas/user.avsc"))
        .unwrap()
        .encode(&record)
        .unwrap();

    let output = eventbus()
        .args(["encode", "--schema-id", "1"])
        .args(["--schema", "examples/schemas/user.avsc"])
        .args(["--value", &record.to_string()])
        .output()
        .unwrap();

    assert!(output.status.success(), "{}", stderr(&output));
    let line = stdout(&output);
    assert_eq!(line, format!("{}\n", hex(&expected)));
    assert_eq!(&line[..10], "0000000001", "magic byte and schema id 1");
}

#[test]
fn encode_then_decode_through_stdin_gives_back_the_record() {
    let record = example_json("records/appointment.json");
    let schema = "examples/schemas/appointment.avsc";

    let encoded = eventbus()
        .args(["encode", "--schema-id", "42", "--schema", schema])
        .write_stdin(format!("{record}\n"))
        .output()
        .unwrap();
    assert!(encoded.status.success(), "{}", stderr(&encoded));
    assert_eq!(stdout(&encoded).lines().count(), 1);

    let decoded = eventbus()
        .args(["decode", "--schema", schema, "--schema-id", "42"])
        .write_stdin(encoded.stdout)
        .output()
        .unwrap();
    assert!(decoded.status.success(), "{}", stderr(&decoded));

    // The example is written in the form the decoder renders (timestamps
    // with the schema's precision in UTC, the decimal with its scale), so
    // the round trip is exact.
    let lines: Vec<String> = stdout(&decoded).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 1);
    let round_tripped: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(round_tripped, record);
}

#[test]
fn invalid_record_on_line_two_is_reported_and_the_others_are_encoded() {
    let valid = example_json("records/appointment.json");
    let mut invalid = valid.clone();
    invalid["facility"]["city"] = Value::Null;
    let mut another = valid.clone();
    another["appointmentId"] = "A-2026-000124".into();
    let stdin = format!("{valid}\n{invalid}\n{another}\n");

    let output = eventbus()
        .args(["encode", "--schema-id", "3"])
        .args(["--schema", "examples/schemas/appointment.avsc"])
        .write_stdin(stdin)
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1));
    let hex_lines: Vec<String> = stdout(&output).lines().map(str::to_owned).collect();
    assert_eq!(hex_lines.len(), 2);
    assert!(hex_lines.iter().all(|l| l.starts_with("0000000003")));
    assert_ne!(hex_lines[0], hex_lines[1]);

    let stderr = stderr(&output);
    assert!(
        stderr.contains("eventbus: line 2: invalid record: facility.city: "),
        "{stderr}"
    );
    assert!(stderr.contains("1 of 3 records failed"), "{stderr}");
    assert_no_panic(&output);
}

#[test]
fn base64_and_raw_outputs_carry_the_same_bytes_as_hex() {
    let user = example_json("records/user.json");
    let mut other = user.clone();
    other["sequenceNumber"] = 2.into();
    let stdin = format!("{user}\n{other}\n");
    let encode = |format: &str| {
        let output = eventbus()
            .args(["encode", "--schema-id", "1"])
            .args(["--schema", "examples/schemas/user.avsc", "--output", format])
            .write_stdin(stdin.clone())
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        output.stdout
    };

    let hex_text = String::from_utf8(encode("hex")).unwrap();
    let base64_text = String::from_utf8(encode("base64")).unwrap();
    let raw = encode("raw");

    let from_base64: Vec<String> = base64_text
        .lines()
        .map(|line| {
            hex(&base64::engine::general_purpose::STANDARD
                .decode(line)
                .unwrap())
        })
        .collect();
    let hex_lines: Vec<&str> = hex_text.lines().collect();
    assert_eq!(hex_lines.len(), 2);
    assert_eq!(from_base64, hex_lines);
    // Raw messages are written back to back.
    assert_eq!(hex(&raw), hex_lines.concat());
}

#[test]
fn schema_fingerprint_prints_the_core_fingerprints_and_canonical_form() {
    let schema = CompiledSchema::parse(&example("schemas/user.avsc"), "test").unwrap();

    let output = eventbus()
        .args(["schema", "fingerprint", "examples/schemas/user.avsc"])
        .output()
        .unwrap();

    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = stdout(&output);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert_eq!(lines[0], schema.fingerprint());
    assert!(lines[0].starts_with("sha256:"));
    assert_eq!(lines[1], schema.rabin_fingerprint());
    assert_eq!(lines[2], schema.canonical_form());
}

#[test]
fn schema_get_prints_the_registry_schema_as_json() {
    let registry = RegistryStandIn::start(vec![schema_route(5, "schemas/user.avsc")]);

    let output = eventbus()
        .args(["schema", "get", "5", "--registry", &registry.url])
        .output()
        .unwrap();

    assert!(output.status.success(), "{}", stderr(&output));
    let printed: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(printed, example_json("schemas/user.avsc"));
    assert_eq!(registry.requests(), ["/schemas/ids/5"]);
}

#[test]
fn schema_get_reads_the_registry_from_the_environment_and_reports_unknown_ids() {
    let registry = RegistryStandIn::start(vec![]);

    let output = eventbus()
        .args(["schema", "get", "99"])
        .env("SCHEMA_REGISTRY_URL", &registry.url)
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr(&output);
    assert!(
        stderr.starts_with("eventbus: schema not found: schema id 99"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn decode_with_a_registry_uses_the_id_in_each_message() {
    let registry = RegistryStandIn::start(vec![
        schema_route(7, "schemas/user.avsc"),
        schema_route(8, "schemas/appointment.avsc"),
    ]);
    let user = example_json("records/user.json");
    let appointment = example_json("records/appointment.json");
    let user_message = Serializer::from_schema_text(7, &example("schemas/user.avsc"))
        .unwrap()
        .encode(&user)
        .unwrap();
    let appointment_message = Serializer::from_schema_text(8, &example("schemas/appointment.avsc"))
        .unwrap()
        .encode(&appointment)
        .unwrap();
    let stdin = [&user_message, &appointment_message, &user_message]
        .map(|message| hex(message))
        .join("\n");

    let output = eventbus()
        .args(["decode", "--registry", &registry.url])
        .write_stdin(stdin)
        .output()
        .unwrap();

    assert!(output.status.success(), "{}", stderr(&output));
    let records: Vec<Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(records, [user.clone(), appointment, user]);
    // The client caches: id 7 is fetched once for its two messages.
    assert_eq!(registry.requests(), ["/schemas/ids/7", "/schemas/ids/8"]);
}

#[test]
fn decode_with_a_pinned_id_rejects_a_message_of_another_id() {
    let message = Serializer::from_schema_text(1, &example("schemas/user.avsc"))
        .unwrap()
        .encode(&example_json("records/user.json"))
        .unwrap();
    let message = base64::engine::general_purpose::STANDARD.encode(message);

    let output = eventbus()
        .args(["decode", "--schema", "examples/schemas/user.avsc"])
        .args(["--schema-id", "2", "--input", "base64", &message])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr(&output);
    assert!(
        stderr.starts_with("eventbus: schema mismatch: "),
        "{stderr}"
    );
    assert!(stderr.contains("schema id 1"), "{stderr}");
}

#[test]
fn latest_version_is_refused_unless_allowed() {
    let registry = RegistryStandIn::start(vec![(
        "/subjects/user-value/versions/latest".to_string(),
        serde_json::json!({
            "subject": "user-value",
            "id": 9,
            "version": 4,
            "schema": example("schemas/user.avsc"),
        }),
    )]);
    let record = example_json("records/user.json").to_string();
    let encode = |extra: &[&str]| {
        eventbus()
            .args(["encode", "--subject", "user-value", "--version", "latest"])
            .args(["--registry", &registry.url, "--value", &record])
            .args(extra)
            .output()
            .unwrap()
    };

    let refused = encode(&[]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("refusing to use the latest version"),
        "{}",
        stderr(&refused)
    );
    assert!(registry.requests().is_empty());

    let allowed = encode(&["--allow-latest"]);
    assert!(allowed.status.success(), "{}", stderr(&allowed));
    assert!(stdout(&allowed).starts_with("0000000009"));
}

#[test]
fn usage_error_is_a_short_message_with_exit_code_two() {
    let output = eventbus()
        .args(["encode", "--schema-id", "not-a-number", "--value", "{}"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = stderr(&output);
    let first_line = stderr.lines().next().unwrap_or_default();
    assert!(
        first_line.starts_with("eventbus: invalid value 'not-a-number'"),
        "{stderr}"
    );
    assert!(first_line.contains("--schema-id"), "{stderr}");
    assert_no_panic(&output);
}

#[test]
fn missing_schema_file_is_one_line_with_exit_code_one() {
    let output = eventbus()
        .args([
            "encode",
            "--schema-id",
            "1",
            "--schema",
            "no/such/file.avsc",
        ])
        .args(["--value", "{}"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = stderr(&output);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("eventbus: "), "{stderr}");
    assert!(stderr.contains("no/such/file.avsc"), "{stderr}");
    assert_no_panic(&output);
}

#[test]
fn encode_checks_the_local_schema_against_the_registry() {
    let registry = RegistryStandIn::start(vec![
        schema_route(1, "schemas/user.avsc"),
        schema_route(2, "schemas/appointment.avsc"),
    ]);
    let record = example_json("records/user.json").to_string();
    let encode = |schema_id: &str| {
        eventbus()
            .args(["encode", "--schema-id", schema_id])
            .args(["--schema", "examples/schemas/user.avsc"])
            .args(["--registry", &registry.url, "--value", &record])
            .output()
            .unwrap()
    };

    let matching = encode("1");
    assert!(matching.status.success(), "{}", stderr(&matching));
    assert!(stdout(&matching).starts_with("0000000001"));

    let mismatched = encode("2");
    assert_eq!(mismatched.status.code(), Some(1));
    assert!(mismatched.stdout.is_empty());
    let stderr = stderr(&mismatched);
    assert!(
        stderr.starts_with("eventbus: schema mismatch: "),
        "{stderr}"
    );
}
