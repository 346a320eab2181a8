//! The native half of the conformance tests: reads a file of cases (JSON,
//! the shape `test/conformance.test.mjs` writes) and prints what the core,
//! built for the host, answers for each, in the shape eventbus-wasm returns.
//! The test then asks the WebAssembly build the same and compares.
//!
//! Encoding goes straight to `eventbus::Serializer` with `serde_json`
//! values, as the CLI does, so the bytes compared come from two builds of
//! the core and not from shared glue.

use std::process::ExitCode;

use eventbus::Serializer;
use eventbus_wasm::report;
use serde_json::{Value, json};

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: native_reference CASES.json");
        return ExitCode::from(2);
    };
    let cases = match std::fs::read_to_string(&path)
        .map_err(|err| err.to_string())
        .and_then(|text| serde_json::from_str::<Value>(&text).map_err(|err| err.to_string()))
    {
        Ok(cases) => cases,
        Err(err) => {
            eprintln!("native_reference: cannot read {path}: {err}");
            return ExitCode::FAILURE;
        }
    };
    let empty = Vec::new();
    let answers: Vec<Value> = cases
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(answer)
        .collect();
    println!("{}", Value::Array(answers));
    ExitCode::SUCCESS
}

/// One case: `{"encode": {schemaId, schema, value}}`,
/// `{"decode": {schemaId, schema, hex}}`, `{"catalog": text}` or
/// `{"compatibility": {newSchema, previous, mode}}`.
fn answer(case: &Value) -> Value {
    if let Some(encode) = case.get("encode") {
        let outcome = serializer(encode).and_then(|serializer| {
            serializer
                .encode(&encode["value"])
                .map(|bytes| json!({"hex": hex(&bytes)}))
        });
        return outcome.unwrap_or_else(|err| error(&err));
    }
    if let Some(decode) = case.get("decode") {
        let outcome = serializer(decode).and_then(|serializer| {
            let bytes = unhex(decode["hex"].as_str().unwrap_or_default());
            serializer
                .decode(&bytes)
                .map(|value| json!({"value": value}))
        });
        return outcome.unwrap_or_else(|err| error(&err));
    }
    if let Some(text) = case.get("catalog") {
        let report = eventbus::catalog::validate(text.as_str().unwrap_or_default());
        return json!({"diagnostics": report::catalog_diagnostics(&report)});
    }
    if let Some(check) = case.get("compatibility") {
        let previous: Vec<String> = check["previous"]
            .as_array()
            .map(|texts| {
                texts
                    .iter()
                    .map(|text| text.as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        let outcome = report::check_schema_texts(
            check["newSchema"].as_str().unwrap_or_default(),
            &previous,
            check["mode"].as_str().unwrap_or("BACKWARD"),
        );
        return match outcome {
            Ok(verdict) => json!({"verdict": report::compatibility(&verdict)}),
            Err(err) => error(&err),
        };
    }
    json!({"unknownCase": case})
}

fn serializer(case: &Value) -> eventbus::Result<Serializer> {
    let schema_id = case["schemaId"].as_u64().unwrap_or_default();
    let schema_id = u32::try_from(schema_id).unwrap_or(u32::MAX);
    Serializer::from_schema_text(schema_id, case["schema"].as_str().unwrap_or_default())
}

fn error(err: &eventbus::Error) -> Value {
    json!({
        "error": {
            "code": err.kind().as_str(),
            "fieldPath": err.field_path(),
            "message": err.to_string(),
        }
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .filter_map(|i| u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok())
        .collect()
}
