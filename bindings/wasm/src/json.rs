//! JavaScript values to the core's natural JSON and back, through JSON
//! text: the host's own `JSON.stringify` and `JSON.parse` do the walking,
//! which costs less code in the `.wasm` than reading objects property by
//! property, and gives the same forms the CLI and the C API take.

use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;

use crate::error;

#[wasm_bindgen(module = "/js/values.js")]
extern "C" {
    #[wasm_bindgen(js_name = toNaturalJson, catch)]
    fn to_natural_json(value: &JsValue) -> Result<String, JsValue>;
}

/// A record (or a bare value, for a primitive key schema) as natural JSON.
/// A value JSON cannot carry (a `BigInt`, a cycle, `undefined`) is an
/// invalid record at the root, with the host's reason.
pub fn from_host(value: &JsValue) -> Result<serde_json::Value, JsValue> {
    let text = to_natural_json(value).map_err(|reason| {
        let reason = js_sys::Error::from(reason).message();
        error::to_js(&eventbus::Error::InvalidRecord {
            field_path: String::new(),
            problem: String::from(reason),
        })
    })?;
    serde_json::from_str(&text).map_err(|err| {
        error::to_js(&eventbus::Error::InvalidRecord {
            field_path: String::new(),
            problem: format!("not JSON the core can read: {err}"),
        })
    })
}

/// A JSON value as the equivalent plain JavaScript value.
pub fn to_host(value: &serde_json::Value) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(&value.to_string())
}
