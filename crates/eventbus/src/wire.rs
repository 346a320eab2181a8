//! The Confluent Schema Registry wire format: a zero magic byte, the schema
//! id as four big-endian bytes, then the Avro binary datum.

use crate::error::{Error, Result};

/// The first byte of every framed message.
pub const MAGIC_BYTE: u8 = 0;

/// Bytes before the Avro datum.
pub const HEADER_LEN: usize = 5;

/// Appends the five-byte header for `schema_id`.
pub fn write_header(out: &mut Vec<u8>, schema_id: u32) {
    out.push(MAGIC_BYTE);
    out.extend_from_slice(&schema_id.to_be_bytes());
}

/// Splits a framed message into its schema id and Avro datum.
pub fn split(message: &[u8]) -> Result<(u32, &[u8])> {
    if message.len() < HEADER_LEN {
        return Err(Error::Decode(format!(
            "message is {} bytes, shorter than the {HEADER_LEN}-byte Confluent header",
            message.len()
        )));
    }
    if message[0] != MAGIC_BYTE {
        return Err(Error::Decode(format!(
            "first byte is {:#04x}, not the Confluent magic byte 0x00; the message was not \
             written by a schema-registry serializer",
            message[0]
        )));
    }
    let id = u32::from_be_bytes([message[1], message[2], message[3], message[4]]);
    Ok((id, &message[HEADER_LEN..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips() {
        let mut out = Vec::new();
        write_header(&mut out, 0x0102_0304);
        out.push(42);
        assert_eq!(out, [0, 1, 2, 3, 4, 42]);
        assert_eq!(split(&out).unwrap(), (0x0102_0304, &[42u8][..]));
    }

    #[test]
    fn rejects_short_and_foreign_messages() {
        assert_eq!(split(&[0, 0, 0]).unwrap_err().kind().as_str(), "decode");
        let err = split(&[1, 0, 0, 0, 7]).unwrap_err();
        assert!(err.to_string().contains("magic byte"), "{err}");
    }
}
