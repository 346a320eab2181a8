//! `eventbus catalog validate` and `init`, run as a user would.

mod support;

use support::{assert_no_panic, eventbus, stderr, stdout};

#[test]
fn a_valid_file_passes() {
    let output = eventbus()
        .args(["catalog", "validate", "examples/catalog/catalog-info.yaml"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "examples/catalog/catalog-info.yaml: a valid Event entity\n"
    );
}

#[test]
fn every_problem_is_a_line_with_its_place_and_fix_and_the_exit_is_1() {
    let dir = tempdir();
    let file = dir.join("catalog-info.yaml");
    let good =
        std::fs::read_to_string(support::repo_root().join("examples/catalog/catalog-info.yaml"))
            .unwrap();
    std::fs::write(
        &file,
        good.replace("environment: production", "environment: prod")
            .replace(
                "  retention: 20\n",
                "  retention: 20\n  averageDailyEvents: 3\n  retension: 4\n",
            ),
    )
    .unwrap();

    let output = eventbus()
        .arg("catalog")
        .arg("validate")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_no_panic(&output);
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    let shown = file.display().to_string();
    assert_eq!(lines.len(), 6, "{text}");
    assert!(
        lines[0].starts_with(&format!(
            "{shown}:25:20: error: spec.topics[1].environment: \"prod\""
        )),
        "{text}"
    );
    assert!(
        lines[1].starts_with("  fix: did you mean production?"),
        "{text}"
    );
    assert!(
        lines[2].contains(
            ": error: spec.averageDailyEvents: `averageDailyEvents` must not be in the file"
        ),
        "{text}"
    );
    assert!(lines[4].contains(": warning: spec.retension:"), "{text}");
    assert!(
        stderr(&output).contains("2 errors and 1 warning"),
        "{}",
        stderr(&output)
    );

    let json = eventbus()
        .args(["catalog", "validate", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    let first: serde_json::Value =
        serde_json::from_str(stdout(&json).lines().next().unwrap()).unwrap();
    assert_eq!(first["path"], "spec.topics[1].environment");
    assert_eq!(first["line"], 25);
    assert_eq!(first["severity"], "error");
}

#[test]
fn a_missing_file_is_named() {
    let output = eventbus()
        .args(["catalog", "validate", "no/such/catalog-info.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("cannot read no/such/catalog-info.yaml"));
}

#[test]
fn init_writes_a_file_that_validates_and_will_not_overwrite_it() {
    let dir = tempdir();
    let file = dir.join("catalog-info.yaml");
    let init = |extra: &[&str]| {
        eventbus()
            .args(["catalog", "init", "--output"])
            .arg(&file)
            .args([
                "--name",
                "appointment-booked",
                "--title",
                "Appointment Booked",
            ])
            .args([
                "--description",
                "A Veteran's appointment was booked.",
                "--domain",
                "health",
            ])
            .args([
                "--system",
                "VistA Scheduling",
                "--team",
                "Appointments",
                "--product-owner",
                "Jane Doe",
            ])
            .args([
                "--topic",
                "appointments.booked.dev",
                "--topic",
                "appointments.booked:production",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let output = init(&[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(
        written.contains("    - topic: appointments.booked\n      environment: production\n"),
        "{written}"
    );
    let check = eventbus()
        .arg("catalog")
        .arg("validate")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}{}",
        stdout(&check),
        stderr(&check)
    );

    let again = init(&[]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("exists"), "{}", stderr(&again));
    assert!(init(&["--force"]).status.success());

    let invalid = init(&["--force", "--lifecycle", "live"]);
    assert_eq!(invalid.status.code(), Some(1));
    assert!(
        stderr(&invalid).contains("spec.lifecycle"),
        "{}",
        stderr(&invalid)
    );
}

#[test]
fn init_without_a_terminal_names_every_missing_flag() {
    let output = eventbus()
        .args(["catalog", "init", "--output", "-", "--name", "x"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(
            "missing --title, --description, --domain, --system, --team, --product-owner, --topic"
        ),
        "{}",
        stderr(&output)
    );
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "eventbus-catalog-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
