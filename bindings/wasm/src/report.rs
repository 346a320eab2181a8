//! The core's catalog and compatibility reports as JSON, in the shape the
//! package returns them (camelCase keys, stable names for enums). Plain
//! Rust, so that the native reference program builds the very same shape
//! and the conformance tests can compare the two builds value for value.

use eventbus::catalog::{Diagnostic, Report};
use eventbus::{
    CompatibilityMode, CompatibilityReport, CompiledSchema, Direction, PreviousVersion,
    check_compatibility,
};
use serde_json::{Value, json};

/// Every problem of a `catalog-info.yaml`, in the order the core found them.
pub fn catalog_diagnostics(report: &Report) -> Value {
    Value::Array(report.diagnostics.iter().map(diagnostic).collect())
}

fn diagnostic(diagnostic: &Diagnostic) -> Value {
    json!({
        "severity": diagnostic.severity.as_str(),
        "line": diagnostic.line,
        "column": diagnostic.column,
        "path": diagnostic.path,
        "message": diagnostic.message,
        "fix": diagnostic.fix,
    })
}

/// The verdict of a compatibility check, with each breaking change.
pub fn compatibility(report: &CompatibilityReport) -> Value {
    let breaking_changes: Vec<Value> = report
        .breaking_changes
        .iter()
        .map(|change| {
            json!({
                "path": change.path,
                "version": change.version,
                "direction": direction_name(change.direction),
                "kind": change.kind.as_str(),
                "message": change.message,
            })
        })
        .collect();
    json!({
        "mode": report.mode.as_str(),
        "compatible": report.is_compatible(),
        "checkedVersions": report.checked_versions,
        "breakingChanges": breaking_changes,
    })
}

fn direction_name(direction: Direction) -> &'static str {
    match direction {
        Direction::Backward => "backward",
        Direction::Forward => "forward",
    }
}

/// Checks `new_schema` against `previous` (schema texts, oldest first,
/// numbered from 1 as versions) under the mode named `mode` (the
/// registry's names or the command line's: `BACKWARD_TRANSITIVE`,
/// `backward-transitive`).
pub fn check_schema_texts(
    new_schema: &str,
    previous: &[String],
    mode: &str,
) -> eventbus::Result<CompatibilityReport> {
    let mode: CompatibilityMode = mode.parse()?;
    let new = CompiledSchema::parse(new_schema, "the new schema")?;
    let earlier = previous
        .iter()
        .zip(1u32..)
        .map(|(text, version)| CompiledSchema::parse(text, &format!("version {version}")))
        .collect::<eventbus::Result<Vec<_>>>()?;
    let versions: Vec<PreviousVersion<'_>> = earlier
        .iter()
        .zip(1u32..)
        .map(|(schema, version)| PreviousVersion { version, schema })
        .collect();
    check_compatibility(&new, &versions, mode)
}
