//! The forms a framed message takes on stdout and stdin: lowercase hex or
//! base64 with one message a line, or the raw bytes. Decoded records leave
//! as one compact JSON document a line.

use std::io::{self, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use clap::ValueEnum;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Lowercase hex, one message a line
    Hex,
    /// Standard base64 with padding, one message a line
    Base64,
    /// The framed bytes, several messages back to back with no separator
    Raw,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// Hex digits, either case
    Hex,
    /// Standard base64 with padding
    Base64,
}

pub fn write_message(out: &mut impl Write, format: OutputFormat, message: &[u8]) -> io::Result<()> {
    match format {
        OutputFormat::Hex => writeln!(out, "{}", to_hex(message)),
        OutputFormat::Base64 => writeln!(out, "{}", BASE64.encode(message)),
        OutputFormat::Raw => out.write_all(message),
    }
}

pub fn write_json_line(out: &mut impl Write, value: &serde_json::Value) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

/// The framed bytes of one message given as text in `format`.
pub fn read_message(format: InputFormat, text: &[u8]) -> Result<Vec<u8>, String> {
    match format {
        InputFormat::Hex => from_hex(text),
        InputFormat::Base64 => BASE64
            .decode(text)
            .map_err(|err| format!("not base64: {err}")),
    }
}

pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    hex
}

fn from_hex(text: &[u8]) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err(format!(
            "not hex: {} digits, but a byte takes two; was the message cut short?",
            text.len()
        ));
    }
    let digit = |position: usize| {
        let c = text[position];
        char::from(c)
            .to_digit(16)
            .ok_or_else(|| format!("not hex: {:?} at position {}", char::from(c), position + 1))
    };
    (0..text.len())
        .step_by(2)
        .map(|i| Ok((digit(i)? * 16 + digit(i + 1)?) as u8))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_reports_bad_digits() {
        let bytes = [0x00, 0x01, 0xab, 0xff];
        assert_eq!(to_hex(&bytes), "0001abff");
        assert_eq!(from_hex(b"0001ABff").unwrap(), bytes);
        assert!(from_hex(b"000").unwrap_err().contains("3 digits"));
        assert!(from_hex(b"00zz").unwrap_err().contains("position 3"));
    }
}
