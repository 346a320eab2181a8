//! The JSON form of one whole event, key, value and headers, as
//! `produce --envelope` reads it and `consume` writes it. The two forms
//! agree, so `consume`'s output can be fed back to `produce --envelope`.
//!
//! Header values are bytes. In JSON a value that is valid UTF-8 is a string,
//! and any other value is `{"base64": "..."}`. A header name that occurs more
//! than once holds an array of its values in order; a name that occurs once
//! holds its value alone, which is never an array.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};

/// The fields `consume` writes that say where a message was read from; an
/// envelope may carry them, and `produce` ignores them.
const POSITION_FIELDS: [&str; 3] = ["partition", "offset", "timestamp"];

/// One event to produce.
#[derive(Debug, PartialEq)]
pub struct Envelope {
    pub key: Option<Value>,
    pub value: Value,
    pub headers: Vec<(String, Vec<u8>)>,
}

impl Envelope {
    /// Reads `{"key": ..., "value": ..., "headers": {...}}`. `value` is
    /// required; a missing or null `key` means a message without a key.
    pub fn parse(line: &[u8]) -> Result<Self, String> {
        let document: Value =
            serde_json::from_slice(line).map_err(|err| format!("not a JSON document: {err}"))?;
        let Value::Object(mut fields) = document else {
            return Err(
                r#"an envelope is a JSON object such as {"key": 1, "value": {...}}"#.to_string(),
            );
        };
        let value = fields
            .remove("value")
            .ok_or("the envelope has no \"value\"")?;
        let key = fields.remove("key").filter(|key| !key.is_null());
        let headers = match fields.remove("headers") {
            None | Some(Value::Null) => Vec::new(),
            Some(headers) => headers_from_json(&headers)?,
        };
        if let Some(unknown) = fields
            .keys()
            .find(|name| !POSITION_FIELDS.contains(&name.as_str()))
        {
            return Err(format!(
                "unknown envelope field {unknown:?}; an envelope has \"key\", \"value\" and \
                 \"headers\""
            ));
        }
        Ok(Envelope {
            key,
            value,
            headers,
        })
    }
}

/// Headers as one JSON object, in the form described in the module comment.
pub fn headers_to_json(headers: &[(String, Vec<u8>)]) -> Value {
    let mut object = Map::new();
    for (name, bytes) in headers {
        let value = header_value_to_json(bytes);
        match object.get_mut(name) {
            None => {
                object.insert(name.clone(), value);
            }
            Some(Value::Array(values)) => values.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
        }
    }
    Value::Object(object)
}

fn header_value_to_json(bytes: &[u8]) -> Value {
    match std::str::from_utf8(bytes) {
        Ok(text) => Value::String(text.to_string()),
        Err(_) => serde_json::json!({ "base64": BASE64.encode(bytes) }),
    }
}

fn headers_from_json(headers: &Value) -> Result<Vec<(String, Vec<u8>)>, String> {
    let Value::Object(headers) = headers else {
        return Err(r#""headers" must be an object such as {"source": "billing"}"#.to_string());
    };
    let mut pairs = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        match value {
            Value::Array(values) => {
                for value in values {
                    pairs.push((name.clone(), header_value_from_json(name, value)?));
                }
            }
            value => pairs.push((name.clone(), header_value_from_json(name, value)?)),
        }
    }
    Ok(pairs)
}

fn header_value_from_json(name: &str, value: &Value) -> Result<Vec<u8>, String> {
    let bad = || {
        format!("header {name:?} must be a string, {{\"base64\": \"...\"}}, or an array of those")
    };
    match value {
        Value::String(text) => Ok(text.as_bytes().to_vec()),
        Value::Object(object) if object.len() == 1 => {
            let encoded = object
                .get("base64")
                .and_then(Value::as_str)
                .ok_or_else(bad)?;
            BASE64
                .decode(encoded)
                .map_err(|err| format!("header {name:?} is not base64: {err}"))
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn headers_round_trip_text_bytes_and_repeated_names() {
        let headers = vec![
            ("source".to_string(), b"billing".to_vec()),
            ("trace".to_string(), vec![0x00, 0xff]),
            ("source".to_string(), b"retry".to_vec()),
        ];
        let as_json = headers_to_json(&headers);
        assert_eq!(
            as_json,
            json!({"source": ["billing", "retry"], "trace": {"base64": "AP8="}})
        );

        // Repeated names come back grouped under their first position.
        let back = headers_from_json(&as_json).unwrap();
        assert_eq!(
            back,
            [headers[0].clone(), headers[2].clone(), headers[1].clone()]
        );
    }

    #[test]
    fn an_envelope_needs_a_value_and_knows_its_fields() {
        let envelope = Envelope::parse(br#"{"key": 7, "value": {"a": 1}, "offset": 3}"#).unwrap();
        assert_eq!(envelope.key, Some(json!(7)));
        assert_eq!(envelope.value, json!({"a": 1}));
        assert!(envelope.headers.is_empty());

        let no_key = Envelope::parse(br#"{"key": null, "value": 1}"#).unwrap();
        assert_eq!(no_key.key, None);

        assert!(
            Envelope::parse(br#"{"key": 7}"#)
                .unwrap_err()
                .contains("no \"value\"")
        );
        assert!(
            Envelope::parse(br#"{"vaule": 1, "value": 1}"#)
                .unwrap_err()
                .contains("\"vaule\"")
        );
        assert!(
            Envelope::parse(br#"{"value": 1, "headers": {"n": 5}}"#)
                .unwrap_err()
                .contains("header \"n\"")
        );
        assert!(Envelope::parse(b"[1]").unwrap_err().contains("JSON object"));
    }
}
