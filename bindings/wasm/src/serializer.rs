//! The `Serializer` class: one schema pinned by id, given as `.avsc` text
//! (there is no registry client in this package), with `encode` to the
//! Confluent wire format and `decode` back.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;

use crate::{error, json};

#[wasm_bindgen(typescript_custom_section)]
const SERIALIZER_OPTIONS: &'static str = r#"
/** What `new Serializer` takes, as eventbus-producer's offline Serializer does. */
export interface SerializerOptions {
  /** The registry id written into every message (0 to 4294967295). */
  schemaId: number
  /** The schema, as `.avsc` text. */
  schema: string
}
"#;

/// Encodes and decodes with one pinned schema, in the Confluent wire format.
#[wasm_bindgen]
pub struct Serializer {
    inner: eventbus::Serializer,
}

#[wasm_bindgen]
impl Serializer {
    /// A serializer for the schema text given. Throws an `EventBusError`
    /// with `code` `invalid_schema` if the text is not a schema this
    /// package supports, `config` if an option is missing or malformed.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "SerializerOptions")] options: JsValue,
    ) -> Result<Serializer, JsValue> {
        if !options.is_object() {
            return Err(error::config(
                "new Serializer takes { schemaId, schema }: the registry id and the .avsc text",
            ));
        }
        let schema_id = schema_id_option(&options)?;
        let schema = Reflect::get(&options, &JsValue::from_str("schema"))?
            .as_string()
            .ok_or_else(|| error::config("`schema` must be the schema's .avsc text"))?;
        let inner = eventbus::Serializer::from_schema_text(schema_id, &schema)
            .map_err(|err| error::to_js(&err))?;
        Ok(Serializer { inner })
    }

    /// The schema id written into every message.
    #[wasm_bindgen(getter, js_name = schemaId)]
    pub fn schema_id(&self) -> u32 {
        self.inner.schema_id()
    }

    /// Validates `value` against the schema and returns the framed message:
    /// a zero byte, the schema id (4 bytes, big-endian), the Avro datum.
    /// Throws an `EventBusError` with `code` `invalid_record` and the
    /// `fieldPath` of the first field that does not fit.
    pub fn encode(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
    ) -> Result<Uint8Array, JsValue> {
        let record = json::from_host(&value)?;
        let message = self
            .inner
            .encode(&record)
            .map_err(|err| error::to_js(&err))?;
        Ok(Uint8Array::from(message.as_slice()))
    }

    /// Reads a framed message written with this serializer's schema id into
    /// plain values: the same natural JSON forms `encode` takes. Throws
    /// `decode` for malformed bytes, `schema_mismatch` for another schema id.
    #[wasm_bindgen(unchecked_return_type = "any")]
    pub fn decode(&self, message: &[u8]) -> Result<JsValue, JsValue> {
        let value = self
            .inner
            .decode(message)
            .map_err(|err| error::to_js(&err))?;
        json::to_host(&value)
    }
}

/// `schemaId` as the u32 the wire format holds.
fn schema_id_option(options: &JsValue) -> Result<u32, JsValue> {
    let value = Reflect::get(options, &JsValue::from_str("schemaId"))?;
    let id = value
        .as_f64()
        .filter(|id| id.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(id));
    match id {
        // The filter above keeps only whole numbers in u32's range.
        Some(id) => Ok(id as u32),
        None => Err(error::config(
            "`schemaId` must be a whole number from 0 to 4294967295, the id the registry \
             assigned to the schema",
        )),
    }
}
