//! `validateCatalog` and `checkCompatibility`: the onboarding checks a
//! producing team runs before joining the Event Bus, returned as plain
//! objects (the shapes are in [`crate::report`] and the TypeScript section
//! below).

use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;

use crate::{error, json, report};

#[wasm_bindgen(typescript_custom_section)]
const REPORT_TYPES: &'static str = r#"
/** One problem in a catalog-info.yaml. */
export interface CatalogDiagnostic {
  /** `error`: the catalog refuses the file; `warning`: it ignores something. */
  severity: 'error' | 'warning'
  /** Where the problem is, counted from 1. */
  line: number
  column: number
  /** The field, as `spec.topics[1].environment`; empty for the whole file. */
  path: string
  message: string
  /** What to change, in one line. */
  fix: string
}

/** A registry compatibility mode, in the registry's spelling or the command line's. */
export type CompatibilityMode =
  | 'BACKWARD' | 'FORWARD' | 'FULL'
  | 'BACKWARD_TRANSITIVE' | 'FORWARD_TRANSITIVE' | 'FULL_TRANSITIVE'
  | 'backward' | 'forward' | 'full'
  | 'backward-transitive' | 'forward-transitive' | 'full-transitive'

/** One change that stops a reader from reading, against one earlier version. */
export interface BreakingChange {
  /** From the new schema's root record: `AppointmentEvent.facility.city`. */
  path: string
  /** The earlier version (1 for the first of `previous`). */
  version: number
  /** `backward`: the new schema reading old events; `forward`: old readers reading new events. */
  direction: 'backward' | 'forward'
  /** A stable category: `field_removed`, `type_changed`, ... */
  kind: string
  message: string
}

/** The outcome of `checkCompatibility`. */
export interface CompatibilityVerdict {
  mode: 'BACKWARD' | 'FORWARD' | 'FULL' | 'BACKWARD_TRANSITIVE' | 'FORWARD_TRANSITIVE' | 'FULL_TRANSITIVE'
  /** True exactly when `breakingChanges` is empty. */
  compatible: boolean
  /** The versions checked against: the latest only, or all for a transitive mode. */
  checkedVersions: number[]
  breakingChanges: BreakingChange[]
}
"#;

/// Checks the text of a `catalog-info.yaml` against the Event Bus's rules
/// and returns every problem found, each with its line, column, path and
/// fix; an empty array when the file is ready for the catalog.
#[wasm_bindgen(js_name = validateCatalog, unchecked_return_type = "CatalogDiagnostic[]")]
pub fn validate_catalog(text: &str) -> Result<JsValue, JsValue> {
    let report = eventbus::catalog::validate(text);
    json::to_host(&report::catalog_diagnostics(&report))
}

/// Decides whether `newSchema` (`.avsc` text) may be registered after
/// `previous` (the earlier versions' texts, oldest first) under `mode`
/// (default `BACKWARD`, the Event Bus's), by Avro's resolution rules.
/// Throws an `EventBusError` with `code` `invalid_schema` for a text that is
/// not a schema, `config` for an unknown mode.
#[wasm_bindgen(js_name = checkCompatibility, unchecked_return_type = "CompatibilityVerdict")]
pub fn check_compatibility(
    #[wasm_bindgen(js_name = newSchema)] new_schema: &str,
    previous: Vec<String>,
    #[wasm_bindgen(unchecked_optional_param_type = "CompatibilityMode")] mode: Option<String>,
) -> Result<JsValue, JsValue> {
    let mode = mode.as_deref().unwrap_or("BACKWARD");
    let verdict = report::check_schema_texts(new_schema, &previous, mode)
        .map_err(|err| error::to_js(&err))?;
    json::to_host(&report::compatibility(&verdict))
}
