use serde_json::Value;

use super::*;

/// The same cases the end-to-end test asks the registry about.
const CASES: &str = include_str!("../../tests/data/compatibility-cases.json");

fn cases() -> Value {
    serde_json::from_str(CASES).expect("the cases file is JSON")
}

fn compiled(schema: &Value) -> CompiledSchema {
    CompiledSchema::parse(&schema.to_string(), "a test case").expect("a test schema is valid")
}

fn check(old: &[&str], new: &str, mode: CompatibilityMode) -> CompatibilityReport {
    let old: Vec<CompiledSchema> = old
        .iter()
        .map(|text| CompiledSchema::parse(text, "an old test schema").expect("valid"))
        .collect();
    let previous: Vec<PreviousVersion<'_>> = old
        .iter()
        .zip(1..)
        .map(|(schema, version)| PreviousVersion { version, schema })
        .collect();
    let new = CompiledSchema::parse(new, "a new test schema").expect("valid");
    check_compatibility(&new, &previous, mode).expect("the check runs")
}

fn pair(name: &str) -> (String, String) {
    let cases = cases();
    let case = cases["pairs"]
        .as_array()
        .and_then(|pairs| pairs.iter().find(|case| case["name"] == name))
        .unwrap_or_else(|| panic!("no pair named {name}"))
        .clone();
    (case["old"].to_string(), case["new"].to_string())
}

fn changes(name: &str, mode: CompatibilityMode) -> Vec<BreakingChange> {
    let (old, new) = pair(name);
    check(&[&old], &new, mode).breaking_changes
}

fn only_change(name: &str, mode: CompatibilityMode) -> BreakingChange {
    let mut found = changes(name, mode);
    assert_eq!(found.len(), 1, "{name} under {mode}: {found:#?}");
    found.remove(0)
}

#[test]
fn every_pair_gets_the_verdict_of_the_specification_in_every_mode() {
    let cases = cases();
    let pairs = cases["pairs"].as_array().expect("pairs");
    assert!(pairs.len() >= 15);
    let mut wrong = Vec::new();
    for case in pairs {
        let old = compiled(&case["old"]);
        let new = compiled(&case["new"]);
        let previous = [PreviousVersion {
            version: 1,
            schema: &old,
        }];
        for mode in CompatibilityMode::ALL {
            // With one earlier version a transitive mode is its plain mode.
            let plain = mode.as_str().trim_end_matches("_TRANSITIVE");
            let expected = case["expect"][plain].as_bool().expect("a verdict");
            let report = check_compatibility(&new, &previous, mode).expect("the check runs");
            if report.is_compatible() != expected {
                wrong.push(format!(
                    "{} under {mode}: expected {expected}, got {:#?}",
                    case["name"], report.breaking_changes
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_history_gets_the_verdict_of_the_specification_in_every_mode() {
    let cases = cases();
    for case in cases["histories"].as_array().expect("histories") {
        let versions: Vec<CompiledSchema> = case["versions"]
            .as_array()
            .expect("versions")
            .iter()
            .map(compiled)
            .collect();
        assert!(versions.len() >= 2);
        let previous: Vec<PreviousVersion<'_>> = versions
            .iter()
            .zip(1..)
            .map(|(schema, version)| PreviousVersion { version, schema })
            .collect();
        let new = compiled(&case["new"]);
        for mode in CompatibilityMode::ALL {
            let expected = case["expect"][mode.as_str()].as_bool().expect("a verdict");
            let report = check_compatibility(&new, &previous, mode).expect("the check runs");
            assert_eq!(
                report.is_compatible(),
                expected,
                "{} under {mode}: {:#?}",
                case["name"],
                report.breaking_changes
            );
            let expected_versions = if mode.is_transitive() {
                vec![1, 2]
            } else {
                vec![2]
            };
            assert_eq!(report.checked_versions, expected_versions);
        }
    }
}

#[test]
fn a_transitive_break_names_the_version_it_breaks_against() {
    let cases = cases();
    let history = &cases["histories"][0];
    let versions: Vec<String> = history["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(Value::to_string)
        .collect();
    let versions: Vec<&str> = versions.iter().map(String::as_str).collect();
    let report = check(
        &versions,
        &history["new"].to_string(),
        CompatibilityMode::ForwardTransitive,
    );
    assert_eq!(report.breaking_changes.len(), 1, "{report:#?}");
    let change = &report.breaking_changes[0];
    assert_eq!(change.version, 1);
    assert_eq!(change.direction, Direction::Forward);
    assert_eq!(change.path, "AppointmentEvent.clinicName");
    assert_eq!(
        change.message,
        "field `clinicName` was removed, and readers of version 1 need it (it has no default)"
    );
}

#[test]
fn a_removed_field_is_named_with_the_version_that_needs_it() {
    let change = only_change("remove_field_without_default", CompatibilityMode::Forward);
    assert_eq!(change.kind, ChangeKind::FieldRemoved);
    assert_eq!(change.path, "AppointmentEvent.clinicName");
    assert!(change.message.contains("readers of version 1 need it"));
}

#[test]
fn an_added_field_without_default_says_old_events_lack_it() {
    let change = only_change("add_field_without_default", CompatibilityMode::Backward);
    assert_eq!(change.kind, ChangeKind::FieldAddedWithoutDefault);
    assert_eq!(change.direction, Direction::Backward);
    assert_eq!(change.path, "AppointmentEvent.clinicName");
    assert!(
        change
            .message
            .starts_with("field `clinicName` was added without a default"),
        "{}",
        change.message
    );
}

#[test]
fn a_type_change_names_the_old_and_new_types_in_both_directions() {
    let backward = only_change("string_to_long", CompatibilityMode::Backward);
    assert_eq!(backward.kind, ChangeKind::TypeChanged);
    assert_eq!(backward.path, "AppointmentEvent.note");
    assert!(
        backward
            .message
            .starts_with("type of `note` changed from string to long"),
        "{}",
        backward.message
    );

    let forward = only_change("int_to_long", CompatibilityMode::Forward);
    assert!(
        forward
            .message
            .starts_with("type of `durationMinutes` changed from int to long"),
        "{}",
        forward.message
    );
    assert!(forward.message.contains("readers of version 1"));
}

#[test]
fn full_reports_each_direction_once() {
    let found = changes("nested_field_type_changed", CompatibilityMode::Full);
    let directions: Vec<Direction> = found.iter().map(|change| change.direction).collect();
    assert_eq!(directions, [Direction::Backward, Direction::Forward]);
    for change in &found {
        assert_eq!(change.path, "AppointmentEvent.facility.city");
        assert_eq!(change.kind, ChangeKind::TypeChanged);
    }
}

#[test]
fn enum_symbols_removed_and_added_are_named() {
    let removed = only_change("enum_symbol_removed", CompatibilityMode::Backward);
    assert_eq!(removed.kind, ChangeKind::EnumSymbolRemoved);
    assert_eq!(removed.path, "AppointmentEvent.status");
    assert!(
        removed
            .message
            .starts_with("enum symbol `NO_SHOW` was removed"),
        "{}",
        removed.message
    );

    let added = only_change("enum_symbol_added", CompatibilityMode::Forward);
    assert_eq!(added.kind, ChangeKind::EnumSymbolAdded);
    assert!(
        added.message.starts_with("enum symbol `NO_SHOW` was added"),
        "{}",
        added.message
    );
}

#[test]
fn union_branches_removed_and_added_are_named_with_the_field() {
    let removed = only_change("union_branch_removed", CompatibilityMode::Backward);
    assert_eq!(removed.kind, ChangeKind::UnionBranchRemoved);
    assert_eq!(removed.path, "AppointmentEvent.providerName");
    assert!(
        removed
            .message
            .starts_with("union branch `null` was removed from `providerName`"),
        "{}",
        removed.message
    );

    let made_optional = only_change("null_added_to_make_optional", CompatibilityMode::Forward);
    assert_eq!(made_optional.kind, ChangeKind::UnionBranchAdded);
    assert!(
        made_optional
            .message
            .starts_with("union branch `null` was added to `providerName`"),
        "{}",
        made_optional.message
    );
}

#[test]
fn a_renamed_record_is_reported_once_at_its_field() {
    let change = only_change("rename_record_without_alias", CompatibilityMode::Backward);
    assert_eq!(change.kind, ChangeKind::Renamed);
    assert_eq!(change.path, "AppointmentEvent.facility");
    assert_eq!(
        change.message,
        "record `Facility` was renamed to `Site` without an alias"
    );

    // The alias on the new record serves readers of the new schema only.
    let forward = only_change("rename_record_with_alias", CompatibilityMode::Forward);
    assert_eq!(forward.kind, ChangeKind::Renamed);
    assert!(
        forward.message.contains("know only the old name"),
        "{}",
        forward.message
    );
}

#[test]
fn a_renamed_field_with_an_alias_explains_why_old_readers_still_break() {
    let change = only_change("rename_field_with_alias", CompatibilityMode::Forward);
    assert_eq!(change.kind, ChangeKind::FieldRemoved);
    assert_eq!(change.path, "AppointmentEvent.city");
    assert!(
        change
            .message
            .starts_with("field `city` was renamed to `town`"),
        "{}",
        change.message
    );
}

#[test]
fn item_and_value_paths_are_marked() {
    let items = only_change("array_items_changed", CompatibilityMode::Backward);
    assert_eq!(items.path, "AppointmentEvent.procedureCodes[]");
    let values = only_change("map_values_changed", CompatibilityMode::Backward);
    assert_eq!(values.path, "AppointmentEvent.attributes{}");
    let fixed = only_change("fixed_size_changed", CompatibilityMode::Backward);
    assert_eq!(fixed.kind, ChangeKind::FixedSizeChanged);
    assert!(
        fixed.message.contains("from 16 to 32 bytes"),
        "{}",
        fixed.message
    );
}

#[test]
fn a_nested_field_is_reached_through_an_optional_record() {
    let old = r#"{"type": "record", "name": "AppointmentEvent", "fields": [
        {"name": "facility", "type": ["null", {"type": "record", "name": "Facility",
          "fields": [{"name": "city", "type": "string"}]}], "default": null}]}"#;
    let new = r#"{"type": "record", "name": "AppointmentEvent", "fields": [
        {"name": "facility", "type": ["null", {"type": "record", "name": "Facility",
          "fields": [{"name": "city", "type": "string"},
                     {"name": "zip", "type": "string"}]}], "default": null}]}"#;
    let report = check(&[old], new, CompatibilityMode::Backward);
    assert_eq!(report.breaking_changes.len(), 1, "{report:#?}");
    assert_eq!(
        report.breaking_changes[0].path,
        "AppointmentEvent.facility.zip"
    );
}

#[test]
fn a_recursive_schema_is_checked_without_looping() {
    let old = r#"{"type": "record", "name": "Node", "namespace": "gov.va.example", "fields": [
        {"name": "value", "type": "int"},
        {"name": "next", "type": ["null", "Node"], "default": null}]}"#;
    let widened = old.replace(r#""type": "int""#, r#""type": "long""#);
    assert!(check(&[old], &widened, CompatibilityMode::Backward).is_compatible());
    let report = check(&[old], &widened, CompatibilityMode::Forward);
    assert_eq!(report.breaking_changes.len(), 1, "{report:#?}");
    assert_eq!(report.breaking_changes[0].path, "Node.value");
}

#[test]
fn names_resolve_through_namespaces_and_aliases() {
    // The alias is written short and resolves in the record's own namespace.
    let old = r#"{"type": "record", "name": "Facility", "namespace": "gov.va.a",
        "fields": [{"name": "city", "type": "string"}]}"#;
    let new = r#"{"type": "record", "name": "Site", "namespace": "gov.va.a",
        "aliases": ["Facility"], "fields": [{"name": "city", "type": "string"}]}"#;
    assert!(check(&[old], new, CompatibilityMode::Backward).is_compatible());

    // The same short name in another namespace is another type.
    let moved = old.replace("gov.va.a", "gov.va.b");
    let report = check(&[old], &moved, CompatibilityMode::Backward);
    assert_eq!(report.breaking_changes[0].kind, ChangeKind::Renamed);
}

#[test]
fn a_primitive_root_can_change_by_promotion() {
    assert!(check(&[r#""int""#], r#""long""#, CompatibilityMode::Backward).is_compatible());
    let report = check(&[r#""int""#], r#""string""#, CompatibilityMode::Backward);
    assert_eq!(report.breaking_changes[0].path, "string");
}

#[test]
fn plain_modes_check_the_latest_version_only() {
    let v1 = r#"{"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}"#;
    let v2 = r#"{"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}]}"#;
    let report = check(&[v1, v2], v2, CompatibilityMode::Backward);
    assert!(report.is_compatible());
    assert_eq!(report.checked_versions, [2]);
    let report = check(&[v1, v2], v2, CompatibilityMode::BackwardTransitive);
    assert_eq!(report.breaking_changes[0].version, 1);
}

#[test]
fn the_first_schema_has_nothing_to_break() {
    let report = check(&[], r#""string""#, CompatibilityMode::FullTransitive);
    assert!(report.is_compatible());
    assert!(report.checked_versions.is_empty());
}

#[test]
fn modes_parse_from_registry_and_command_line_names() {
    for mode in CompatibilityMode::ALL {
        assert_eq!(mode.as_str().parse::<CompatibilityMode>().ok(), Some(mode));
        let cli_name = mode.as_str().to_lowercase().replace('_', "-");
        assert_eq!(cli_name.parse::<CompatibilityMode>().ok(), Some(mode));
    }
    let err = "sideways"
        .parse::<CompatibilityMode>()
        .expect_err("unknown mode");
    assert_eq!(err.kind(), crate::ErrorKind::Config);
    assert_eq!(CompatibilityMode::default(), CompatibilityMode::Backward);
}
