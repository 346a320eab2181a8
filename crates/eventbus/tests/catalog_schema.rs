//! The JSON Schema for catalog-info.yaml (schemas/catalog-info.schema.json,
//! for editors) and `eventbus::catalog::validate` agree on every file in
//! tests/catalog/: the good ones pass both, the bad ones fail both.

use std::path::PathBuf;

use eventbus::catalog::{self, yaml};

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn json_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repository().join("schemas/catalog-info.schema.json"))
        .expect("schemas/catalog-info.schema.json");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles")
}

fn files() -> Vec<(String, String)> {
    let mut files = vec![(
        "examples/catalog/catalog-info.yaml".to_owned(),
        std::fs::read_to_string(repository().join("examples/catalog/catalog-info.yaml")).unwrap(),
    )];
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/catalog");
    let mut entries: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        files.push((name, std::fs::read_to_string(&path).unwrap()));
    }
    files
}

#[test]
fn the_schema_and_the_validator_agree_on_every_file() {
    let schema = json_schema();
    let files = files();
    assert!(files.len() > 20, "only {} files", files.len());
    for (name, text) in files {
        let expected_bad = name.starts_with("bad-");
        let report = catalog::validate(&text);
        assert_eq!(
            report.has_errors(),
            expected_bad,
            "validator on {name}: {:#?}",
            report.diagnostics
        );
        let documents = yaml::parse(&text).expect("the test files are valid YAML");
        let instance = documents[0].to_json();
        let schema_errors: Vec<String> = schema
            .iter_errors(&instance)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert_eq!(
            !schema_errors.is_empty(),
            expected_bad,
            "JSON Schema on {name}: {schema_errors:#?}"
        );
    }
}

#[test]
fn the_starter_file_passes_the_schema() {
    let starter = catalog::StarterEvent {
        name: "appointment-booked".into(),
        title: "Appointment Booked".into(),
        description: "A Veteran's appointment was booked.".into(),
        domain: "health".into(),
        lifecycle: "development".into(),
        source_systems: vec![catalog::SourceSystem {
            system_name: "VistA".into(),
            team_name: "Scheduling".into(),
            product_owner: "Jane Doe".into(),
        }],
        topics: vec![catalog::StarterTopic {
            topic: "appointments.booked.dev".into(),
            environment: "development".into(),
        }],
    };
    let documents = yaml::parse(&starter.to_yaml()).unwrap();
    let errors: Vec<String> = json_schema()
        .iter_errors(&documents[0].to_json())
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
