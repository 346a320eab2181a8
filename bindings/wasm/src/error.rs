//! Core errors as JavaScript `EventBusError`s (defined in `js/errors.js`),
//! carrying the core's stable kind name as `code` and, for an invalid
//! record, the field path as `fieldPath`: the same attributes as the Node
//! addon's errors, so code written against one reads the other.

use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(module = "/js/errors.js")]
extern "C" {
    #[wasm_bindgen(js_name = EventBusError)]
    type JsEventBusError;

    #[wasm_bindgen(constructor, js_class = "EventBusError")]
    fn new(
        message: &str,
        code: &str,
        field_path: Option<String>,
        retriable: bool,
    ) -> JsEventBusError;
}

/// The error thrown into JavaScript for a core error.
pub fn to_js(err: &eventbus::Error) -> JsValue {
    JsEventBusError::new(
        &err.to_string(),
        err.kind().as_str(),
        err.field_path().map(str::to_owned),
        err.is_retriable(),
    )
    .into()
}

/// A settings problem found before the core was called (an options object
/// without `schemaId`, say), as a `config` error.
pub fn config(message: impl Into<String>) -> JsValue {
    to_js(&eventbus::Error::Config(message.into()))
}
