//! JSON text read for the encoder ([`JsonText`]): the natural JSON form of a
//! record, parsed into a tree that borrows its strings from the text where
//! no escape is in the way and keeps each object as the list of entries it
//! was written as.
//!
//! Reading a record from JSON text into `serde_json::Value` spends most of
//! its time building maps: hashing every key and allocating every string.
//! The encoder needs neither, because it walks an object's entries in the
//! order they come and looks a field up by name only when they are out of
//! order. This tree is what the C API and other callers holding JSON text
//! encode from; the values it reads, and the errors they give, are those of
//! the `serde_json::Value` form, except that an object repeating a key is
//! refused rather than keeping the last one silently.
//!
//! The reader is written here rather than driven through serde so that text
//! given as bytes is checked for UTF-8 as it is read: only a string holding
//! a byte past ASCII needs checking, because anywhere else such a byte is a
//! syntax error. A caller holding bytes (the C API) then pays nothing for
//! the check on ASCII text, where checking the whole text first cost it a
//! twentieth of a small record's encode.

use std::borrow::Cow;
use std::fmt;

use super::datum::{Datum, DatumKind};
use super::path::RecordError;

/// A record (or any value) read from JSON text, borrowing from the text.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonText<'a>(Node<'a>);

impl<'a> JsonText<'a> {
    /// Parses one JSON value, with nothing but white space after it.
    pub fn parse(text: &'a str) -> Result<Self, JsonError> {
        Reader::<false>::new(text.as_bytes())
            .document()
            .map(JsonText)
    }

    /// As [`JsonText::parse`], for text given as bytes: text that is not
    /// UTF-8 fails with an error for which [`JsonError::is_utf8`] holds,
    /// wherever the bad bytes are and whatever else is wrong with the text.
    pub fn parse_bytes(text: &'a [u8]) -> Result<Self, JsonError> {
        Reader::<true>::new(text)
            .document()
            .map(JsonText)
            .map_err(|err| {
                // A byte past ASCII outside a string stops the reader as a
                // syntax error, and so does any real syntax error before a bad
                // string; either way the caller is told of the encoding first.
                match std::str::from_utf8(text) {
                    Err(bad) if !err.is_utf8() => JsonError::utf8(text, bad),
                    _ => err,
                }
            })
    }

    /// The value, to hand to the encoder (`&JsonText` is a [`Datum`]).
    pub fn datum(&self) -> &Node<'a> {
        &self.0
    }
}

/// Why JSON text could not be read, and where: the line and column (both
/// from 1, the column counted in bytes) of the byte that stopped the reader.
///
/// Boxed, so that every result the reader passes up is no larger than the
/// value it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError(Box<Place>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Place {
    problem: Problem,
    line: usize,
    column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Problem {
    Syntax(&'static str),
    Utf8 { offset: usize },
}

impl JsonError {
    /// Whether the text is not UTF-8 (as opposed to not well-formed JSON).
    pub fn is_utf8(&self) -> bool {
        matches!(self.0.problem, Problem::Utf8 { .. })
    }

    /// The line of the byte that stopped the reader, from 1.
    pub fn line(&self) -> usize {
        self.0.line
    }

    /// The column of that byte, from 1, in bytes.
    pub fn column(&self) -> usize {
        self.0.column
    }

    #[cold]
    fn at(text: &[u8], offset: usize, problem: Problem) -> JsonError {
        let before = &text[..offset.min(text.len())];
        let line = 1 + before.iter().filter(|&&byte| byte == b'\n').count();
        let line_start = before
            .iter()
            .rposition(|&byte| byte == b'\n')
            .map_or(0, |newline| newline + 1);
        JsonError(Box::new(Place {
            problem,
            line,
            column: 1 + before.len() - line_start,
        }))
    }

    fn utf8(text: &[u8], bad: std::str::Utf8Error) -> JsonError {
        let offset = bad.valid_up_to();
        JsonError::at(text, offset, Problem::Utf8 { offset })
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (line, column) = (self.0.line, self.0.column);
        match &self.0.problem {
            Problem::Syntax(what) => write!(f, "{what} at line {line} column {column}"),
            Problem::Utf8 { offset } => write!(
                f,
                "not valid UTF-8 at byte {offset} (line {line} column {column})"
            ),
        }
    }
}

impl std::error::Error for JsonError {}

/// How deep arrays and objects may nest, as serde_json allows: a bound on
/// the reader's recursion, so that hostile text cannot exhaust the stack.
const MAX_DEPTH: usize = 128;

/// Bytes a string's scan stops at: the closing quote, a backslash, a
/// control character (not allowed raw in a string) or a byte past ASCII.
const STOPS_STRING: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] =
            byte < 0x20 || byte == b'"' as usize || byte == b'\\' as usize || byte >= 0x80;
        byte += 1;
    }
    table
};

/// The index of the first byte at or after `from` where a string's scan
/// must stop (see [`STOPS_STRING`]), or the text's length.
///
/// Eight bytes are tested at once, as a word, with the usual borrow trick:
/// subtracting a byte value from every lane sets a lane's high bit when the
/// lane was below it. A lane flagged falsely by a borrow can only sit above
/// a lane truly flagged, and the lowest flagged lane is the one taken.
fn skip_plain_string_bytes(text: &[u8], from: usize) -> usize {
    const LANES: u64 = u64::MAX / 255;
    const HIGH: u64 = LANES << 7;
    let mut at = from;
    for chunk in text[from..].chunks_exact(8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let quote = word ^ (LANES * u64::from(b'"'));
        let backslash = word ^ (LANES * u64::from(b'\\'));
        let stops = (word.wrapping_sub(LANES * 0x20) & !word)
            | (quote.wrapping_sub(LANES) & !quote)
            | (backslash.wrapping_sub(LANES) & !backslash)
            | word;
        let stops = stops & HIGH;
        if stops != 0 {
            return at + stops.trailing_zeros() as usize / 8;
        }
        at += 8;
    }
    while at < text.len() && !STOPS_STRING[text[at] as usize] {
        at += 1;
    }
    at
}

/// Reads one JSON value from `text`. `CHECK_UTF8` is false when the text
/// came as `&str` and is known to be UTF-8 already.
struct Reader<'a, const CHECK_UTF8: bool> {
    text: &'a [u8],
    at: usize,
    depth: usize,
}

impl<'a, const CHECK_UTF8: bool> Reader<'a, CHECK_UTF8> {
    fn new(text: &'a [u8]) -> Self {
        Reader {
            text,
            at: 0,
            depth: 0,
        }
    }

    fn document(mut self) -> Result<Node<'a>, JsonError> {
        let value = self.value()?;
        self.skip_white_space();
        if self.at < self.text.len() {
            return Err(self.error("trailing characters"));
        }
        Ok(value)
    }

    #[cold]
    #[inline(never)]
    fn error(&self, what: &'static str) -> JsonError {
        JsonError::at(self.text, self.at, Problem::Syntax(what))
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn skip_white_space(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    fn value(&mut self) -> Result<Node<'a>, JsonError> {
        self.skip_white_space();
        match self.peek() {
            Some(b'"') => {
                self.at += 1;
                self.string().map(Node::String)
            }
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal(b"true", Node::Bool(true)),
            Some(b'f') => self.literal(b"false", Node::Bool(false)),
            Some(b'n') => self.literal(b"null", Node::Null),
            Some(_) => Err(self.error("expected value")),
            None => Err(self.error("EOF while parsing a value")),
        }
    }

    fn nested(
        &mut self,
        read: fn(&mut Self) -> Result<Node<'a>, JsonError>,
    ) -> Result<Node<'a>, JsonError> {
        if self.depth == MAX_DEPTH {
            return Err(self.error("recursion limit exceeded"));
        }
        self.depth += 1;
        self.at += 1;
        let value = read(self);
        self.depth -= 1;
        value
    }

    fn literal<const N: usize>(
        &mut self,
        word: &[u8; N],
        value: Node<'a>,
    ) -> Result<Node<'a>, JsonError> {
        let end = self.at + N;
        if self.text.get(self.at..end) == Some(&word[..]) {
            self.at = end;
            Ok(value)
        } else {
            Err(self.error("expected ident"))
        }
    }

    /// After the `{`.
    fn object(&mut self) -> Result<Node<'a>, JsonError> {
        let mut entries = Vec::new();
        self.skip_white_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Node::Object(entries));
        }
        loop {
            match self.peek() {
                Some(b'"') => self.at += 1,
                Some(b'}') if !entries.is_empty() => return Err(self.error("trailing comma")),
                Some(_) => return Err(self.error("key must be a string")),
                None => return Err(self.error("EOF while parsing an object")),
            }
            let key = self.string()?;
            self.skip_white_space();
            match self.peek() {
                Some(b':') => self.at += 1,
                Some(_) => return Err(self.error("expected `:`")),
                None => return Err(self.error("EOF while parsing an object")),
            }
            let value = self.value()?;
            entries.push((key, value));
            self.skip_white_space();
            match self.peek() {
                Some(b',') => {
                    self.at += 1;
                    self.skip_white_space();
                }
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Node::Object(entries));
                }
                Some(_) => return Err(self.error("expected `,` or `}`")),
                None => return Err(self.error("EOF while parsing an object")),
            }
        }
    }

    /// After the `[`.
    fn array(&mut self) -> Result<Node<'a>, JsonError> {
        let mut items = Vec::new();
        self.skip_white_space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Node::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_white_space();
            match self.peek() {
                Some(b',') => {
                    self.at += 1;
                    self.skip_white_space();
                    if self.peek() == Some(b']') {
                        return Err(self.error("trailing comma"));
                    }
                }
                Some(b']') => {
                    self.at += 1;
                    return Ok(Node::Array(items));
                }
                Some(_) => return Err(self.error("expected `,` or `]`")),
                None => return Err(self.error("EOF while parsing a list")),
            }
        }
    }

    /// After the opening quote; leaves the reader past the closing one.
    fn string(&mut self) -> Result<Cow<'a, str>, JsonError> {
        let start = self.at;
        let mut past_ascii = false;
        // Unescaped text goes here only once an escape is met.
        let mut owned: Option<String> = None;
        let mut run_start = start;
        loop {
            self.at = skip_plain_string_bytes(self.text, self.at);
            match self.peek() {
                None => return Err(self.error("EOF while parsing a string")),
                Some(b'"') => {
                    let run = self.run(run_start, self.at, past_ascii)?;
                    self.at += 1;
                    return Ok(match owned {
                        None => Cow::Borrowed(run),
                        Some(mut text) => {
                            text.push_str(run);
                            Cow::Owned(text)
                        }
                    });
                }
                Some(b'\\') => {
                    let run = self.run(run_start, self.at, past_ascii)?;
                    let text = owned.get_or_insert_with(String::new);
                    text.push_str(run);
                    self.at += 1;
                    self.escape(text)?;
                    run_start = self.at;
                    past_ascii = false;
                }
                Some(byte) if byte >= 0x80 => {
                    past_ascii = true;
                    self.at += 1;
                }
                Some(_) => {
                    return Err(self.error(
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ));
                }
            }
        }
    }

    /// The unescaped run of a string from `start` to `end`, as text.
    fn run(&self, start: usize, end: usize, past_ascii: bool) -> Result<&'a str, JsonError> {
        let bytes = &self.text[start..end];
        if past_ascii && CHECK_UTF8 {
            return std::str::from_utf8(bytes).map_err(|bad| {
                let offset = start + bad.valid_up_to();
                JsonError::at(self.text, offset, Problem::Utf8 { offset })
            });
        }
        // SAFETY: the run is UTF-8. Either every byte of it is ASCII (the
        // scan stops at any byte past ASCII and sets `past_ascii`), or the
        // text came as `&str` (`CHECK_UTF8` is false) and the run starts and
        // ends next to ASCII bytes (quotes and backslashes), so on character
        // boundaries of valid UTF-8.
        Ok(unsafe { std::str::from_utf8_unchecked(bytes) })
    }

    /// After the backslash; appends the character the escape stands for.
    fn escape(&mut self, text: &mut String) -> Result<(), JsonError> {
        let Some(byte) = self.peek() else {
            return Err(self.error("EOF while parsing a string"));
        };
        self.at += 1;
        let character = match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => self.unicode_escape()?,
            _ => {
                self.at -= 1;
                return Err(self.error("invalid escape"));
            }
        };
        text.push(character);
        Ok(())
    }

    /// After `\u`: four hex digits, or a surrogate pair of two escapes.
    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.text.get(self.at..self.at + 2) != Some(b"\\u") {
                    return Err(self.error("lone leading surrogate in hex escape"));
                }
                self.at += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.error("lone leading surrogate in hex escape"));
                }
                0x10000 + ((u32::from(first) - 0xD800) << 10) + (u32::from(second) - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.error("invalid unicode code point")),
            _ => u32::from(first),
        };
        char::from_u32(code).ok_or_else(|| self.error("invalid unicode code point"))
    }

    fn hex4(&mut self) -> Result<u16, JsonError> {
        let mut code = 0u16;
        for _ in 0..4 {
            let digit = match self.peek() {
                Some(byte @ b'0'..=b'9') => byte - b'0',
                Some(byte @ b'a'..=b'f') => byte - b'a' + 10,
                Some(byte @ b'A'..=b'F') => byte - b'A' + 10,
                Some(_) => return Err(self.error("invalid escape")),
                None => return Err(self.error("EOF while parsing a string")),
            };
            code = code * 16 + u16::from(digit);
            self.at += 1;
        }
        Ok(code)
    }

    /// A number, read as serde_json reads it into a `Value`: a whole number
    /// is an `Int` (or `BigUnsigned` past `i64::MAX`), anything with a
    /// fraction or exponent, or too large for 64 bits, or `-0`, a `Float`.
    fn number(&mut self) -> Result<Node<'a>, JsonError> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let mut magnitude: Option<u64> = Some(0);
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                while let Some(byte @ b'0'..=b'9') = self.peek() {
                    magnitude = magnitude
                        .and_then(|n| n.checked_mul(10))
                        .and_then(|n| n.checked_add(u64::from(byte - b'0')));
                    self.at += 1;
                }
            }
            Some(_) => return Err(self.error("invalid number")),
            None => return Err(self.error("EOF while parsing a value")),
        }
        // A leading zero stands alone.
        if matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.error("invalid number"));
        }
        let mut whole = true;
        if self.peek() == Some(b'.') {
            whole = false;
            self.at += 1;
            self.digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            whole = false;
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            self.digits()?;
        }
        if whole && let Some(magnitude) = magnitude {
            if !negative {
                return Ok(i64::try_from(magnitude).map_or(Node::BigUnsigned(magnitude), Node::Int));
            }
            // serde_json's rule: -0 and magnitudes past 2^63 are floats.
            let value = (magnitude as i64).wrapping_neg();
            return Ok(if value < 0 {
                Node::Int(value)
            } else {
                Node::Float(-(magnitude as f64))
            });
        }
        // The number's bytes are ASCII digits, signs, `.` and `e`.
        let literal = std::str::from_utf8(&self.text[start..self.at])
            .map_err(|_| self.error("invalid number"))?;
        match literal.parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(Node::Float(value)),
            _ => Err(self.error("number out of range")),
        }
    }

    fn digits(&mut self) -> Result<(), JsonError> {
        match self.peek() {
            Some(b'0'..=b'9') => {}
            Some(_) => return Err(self.error("invalid number")),
            None => return Err(self.error("EOF while parsing a value")),
        }
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        Ok(())
    }
}

/// One JSON value of a [`JsonText`].
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    Int(i64),
    /// A whole number past `i64::MAX`: no Avro long holds it.
    BigUnsigned(u64),
    Float(f64),
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

impl<'a> Datum for &Node<'a> {
    fn kind(&self) -> DatumKind {
        match self {
            Node::Null => DatumKind::Null,
            Node::Bool(_) => DatumKind::Boolean,
            Node::Int(_) | Node::BigUnsigned(_) => DatumKind::Integer,
            Node::Float(_) => DatumKind::Float,
            Node::String(_) => DatumKind::String,
            Node::Array(_) => DatumKind::Array,
            Node::Object(_) => DatumKind::Object,
        }
    }

    fn as_bool(&self) -> Option<bool> {
        match self {
            Node::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    fn as_long(&self) -> Option<i64> {
        match self {
            Node::Int(n) => Some(*n),
            _ => None,
        }
    }

    fn as_double(&self) -> Option<f64> {
        match self {
            Node::Int(n) => Some(*n as f64),
            Node::BigUnsigned(n) => Some(*n as f64),
            Node::Float(n) => Some(*n),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<Cow<'_, str>> {
        match self {
            Node::String(text) => Some(Cow::Borrowed(text)),
            _ => None,
        }
    }

    fn field(&self, name: &str) -> Option<Self> {
        match self {
            Node::Object(entries) => entries
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value),
            _ => None,
        }
    }

    fn count(&self) -> Option<usize> {
        match self {
            Node::Array(items) => Some(items.len()),
            Node::Object(entries) => Some(entries.len()),
            _ => None,
        }
    }

    fn for_each_item<F>(&self, mut f: F) -> Result<(), RecordError>
    where
        F: FnMut(Self) -> Result<(), RecordError>,
    {
        if let Node::Array(items) = self {
            for item in items {
                f(item)?;
            }
        }
        Ok(())
    }

    fn for_each_entry<F>(&self, mut f: F) -> Result<(), RecordError>
    where
        F: FnMut(&str, Self) -> Result<(), RecordError>,
    {
        if let Node::Object(entries) = self {
            for (key, value) in entries {
                f(key, value)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::Serializer;

    const APPOINTMENT: &str = include_str!("../../../../examples/schemas/appointment.avsc");
    const APPOINTMENT_RECORD: &str = include_str!("../../../../examples/records/appointment.json");

    #[test]
    fn borrows_plain_strings_and_keys_and_owns_escaped_ones() {
        let text = JsonText::parse(r#"{"plain": "text", "esc\"aped": "a\nb"}"#).unwrap();
        let Node::Object(entries) = text.datum() else {
            panic!("an object");
        };
        assert!(matches!(entries[0].0, Cow::Borrowed("plain")));
        assert!(matches!(entries[0].1, Node::String(Cow::Borrowed("text"))));
        assert!(matches!(&entries[1].0, Cow::Owned(key) if key == "esc\"aped"));
        assert!(matches!(&entries[1].1, Node::String(Cow::Owned(value)) if value == "a\nb"));
    }

    /// The tree as a `serde_json::Value`, to compare with serde_json's own
    /// reading (an object's repeated key would keep its last value).
    fn to_value(node: &Node) -> Value {
        match node {
            Node::Null => Value::Null,
            Node::Bool(flag) => Value::Bool(*flag),
            Node::Int(n) => Value::from(*n),
            Node::BigUnsigned(n) => Value::from(*n),
            Node::Float(n) => Value::from(*n),
            Node::String(text) => Value::from(text.as_ref()),
            Node::Array(items) => Value::Array(items.iter().map(to_value).collect()),
            Node::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(key, value)| (key.to_string(), to_value(value)))
                    .collect(),
            ),
        }
    }

    #[test]
    fn reads_what_serde_json_values_read() {
        let cases = [
            r#"null"#,
            r#" [true, false, 0, -1, 1.5, -0.0, 1e300, 2E-3, 1.25e+2] "#,
            r#"9223372036854775807"#,
            r#"9223372036854775808"#,
            r#"18446744073709551615"#,
            r#"18446744073709551616"#,
            r#"-9223372036854775808"#,
            r#"-9223372036854775809"#,
            r#"-0"#,
            r#"123456789012345678901234567890"#,
            r#"{"a": {"b": ["x", {"c": null}]}, "d": "\u00e9\ud83d\ude00"}"#,
            r#"{"esc": "\"\\\/\b\f\n\r\t\u0041", "raw": "é ü 😀", "": []}"#,
            "{\n\t\"a\" :\r\n1 }",
            r#""\uD83D\uDE00 mixed \u00E9 and é""#,
        ];
        for case in cases {
            let value: Value = serde_json::from_str(case).unwrap();
            for text in [
                JsonText::parse(case),
                JsonText::parse_bytes(case.as_bytes()),
            ] {
                let text = text.unwrap_or_else(|err| panic!("{case}: {err}"));
                assert_eq!(to_value(text.datum()), value, "{case}");
                if let (Some(ours), Some(theirs)) = (text.datum().as_double(), value.as_f64()) {
                    assert_eq!(ours.to_bits(), theirs.to_bits(), "{case}");
                }
                assert_eq!(text.datum().kind(), (&value).kind(), "{case}");
                assert_eq!(text.datum().as_long(), (&value).as_long(), "{case}");
            }
        }
    }

    #[test]
    fn refuses_what_serde_json_refuses_saying_what_and_where() {
        // The position is that of the byte that stopped the reader (one
        // past the end at the end of the text), which serde_json's columns
        // can trail by one.
        let cases = [
            ("", "EOF while parsing a value at line 1 column 1"),
            ("{\"a\": 1} x", "trailing characters at line 1 column 10"),
            ("{\"a\": }", "expected value at line 1 column 7"),
            ("{\"a\" 1}", "expected `:` at line 1 column 6"),
            ("{\"a\": 1,}", "trailing comma at line 1 column 9"),
            ("[1,]", "trailing comma at line 1 column 4"),
            ("[1 2]", "expected `,` or `]` at line 1 column 4"),
            ("{\"a\": 1 \"b\"}", "expected `,` or `}` at line 1 column 9"),
            ("{1: 2}", "key must be a string at line 1 column 2"),
            ("tru", "expected ident at line 1 column 1"),
            ("01", "invalid number at line 1 column 2"),
            ("-", "EOF while parsing a value at line 1 column 2"),
            ("1.", "EOF while parsing a value at line 1 column 3"),
            ("1e400", "number out of range at line 1 column 6"),
            ("\"a\\x\"", "invalid escape at line 1 column 4"),
            (
                "\"\\ud800\"",
                "lone leading surrogate in hex escape at line 1 column 8",
            ),
            (
                "\"\\udc00\"",
                "invalid unicode code point at line 1 column 8",
            ),
            (
                "\"a\nb\"",
                "control character (\\u0000-\\u001F) found while parsing a string at line 1 column 3",
            ),
            ("\"open", "EOF while parsing a string at line 1 column 6"),
            ("[\n\n  nul]", "expected ident at line 3 column 3"),
        ];
        for (case, expected) in cases {
            assert!(serde_json::from_str::<Value>(case).is_err(), "{case}");
            for err in [
                JsonText::parse(case).unwrap_err(),
                JsonText::parse_bytes(case.as_bytes()).unwrap_err(),
            ] {
                assert!(!err.is_utf8(), "{case}");
                assert_eq!(err.to_string(), expected, "{case}");
            }
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        let err = JsonText::parse(&deep).unwrap_err();
        assert!(
            err.to_string().starts_with("recursion limit exceeded"),
            "{err}"
        );
        assert!(JsonText::parse(&("[".repeat(128) + &"]".repeat(128))).is_ok());
    }

    #[test]
    fn agrees_with_serde_json_on_damaged_records() {
        // Each variant of the example record has a few bytes dropped,
        // repeated or replaced by JSON's own punctuation; a fixed xorshift
        // keeps the variants the same from run to run.
        let original = APPOINTMENT_RECORD.as_bytes();
        let punctuation = b"{}[]:,\"\\ 0-.e";
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        let (mut accepted, mut refused) = (0, 0);
        for _ in 0..3000 {
            let mut bytes = original.to_vec();
            for _ in 0..1 + next(3) {
                let at = next(bytes.len());
                match next(3) {
                    0 => {
                        bytes.remove(at);
                    }
                    1 => bytes.insert(at, bytes[at]),
                    _ => bytes[at] = punctuation[next(punctuation.len())],
                }
            }
            let theirs = serde_json::from_slice::<Value>(&bytes);
            let ours = JsonText::parse_bytes(&bytes);
            match (&theirs, &ours) {
                (Ok(value), Ok(text)) => {
                    assert_eq!(&to_value(text.datum()), value);
                    accepted += 1;
                }
                (Err(_), Err(_)) => refused += 1,
                _ => panic!(
                    "{}: serde_json {theirs:?}, here {ours:?}",
                    String::from_utf8_lossy(&bytes)
                ),
            }
        }
        // Both outcomes are exercised, not only one.
        assert!(accepted > 100 && refused > 100, "{accepted} / {refused}");
    }

    #[test]
    fn the_word_at_a_time_scan_stops_where_a_byte_at_a_time_scan_does() {
        // Fillers next to the stop values (0x20 and 0x21 beside 0x1f, 0x7f
        // below 0x80) are where a borrow could misplace a lane.
        let fillers = [b' ', b'!', b'#', b'[', b']', b'a', 0x7f];
        let stops = [b'"', b'\\', 0x00, 0x1f, 0x80, 0xc3, 0xff];
        for len in 0..24 {
            for filler in fillers {
                let plain = vec![filler; len];
                assert_eq!(skip_plain_string_bytes(&plain, 0), len);
                for at in 0..len {
                    for stop in stops {
                        let mut text = plain.clone();
                        text[at] = stop;
                        for from in 0..=at {
                            assert_eq!(skip_plain_string_bytes(&text, from), at, "{text:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused_as_such_wherever_they_are() {
        let cases: [&[u8]; 5] = [
            b"{\"name\": \"\xff\xfe\"}",
            b"{\"name\": \"ok \xc3\x28\"}",
            b"{\"na\xe9me\": 1}",
            b"{\"name\": \xff}",
            // A syntax error first, and bad bytes after it.
            b"{\"a\" 1, \"b\": \"\xff\"}",
        ];
        for case in cases {
            let err = JsonText::parse_bytes(case).unwrap_err();
            assert!(err.is_utf8(), "{case:?}: {err}");
            let offset = std::str::from_utf8(case).unwrap_err().valid_up_to();
            assert!(
                err.to_string().contains(&format!("at byte {offset} ")),
                "{err}"
            );
        }
        // Escapes around text past ASCII, given as bytes.
        let text = JsonText::parse_bytes("\"\\t é\\n ü\"".as_bytes()).unwrap();
        assert_eq!(to_value(text.datum()), Value::from("\t é\n ü"));
    }

    #[test]
    fn encodes_the_bytes_the_value_form_encodes() {
        let serializer = Serializer::from_schema_text(12, APPOINTMENT).unwrap();
        let value: Value = serde_json::from_str(APPOINTMENT_RECORD).unwrap();
        let text = JsonText::parse(APPOINTMENT_RECORD).unwrap();
        assert_eq!(
            serializer.encode(text.datum()).unwrap(),
            serializer.encode(&value).unwrap()
        );
        // Out of order, and invalid: the same bytes, the same error.
        let mut shuffled: Vec<(String, Value)> =
            value.as_object().unwrap().clone().into_iter().collect();
        shuffled.reverse();
        let shuffled = Value::Object(shuffled.into_iter().collect());
        let text_form = shuffled.to_string();
        assert_eq!(
            serializer
                .encode(JsonText::parse(&text_form).unwrap().datum())
                .unwrap(),
            serializer.encode(&value).unwrap()
        );
        let mut bad = value.clone();
        bad["facility"]["city"] = json!(7);
        let bad_text = bad.to_string();
        assert_eq!(
            serializer
                .encode(JsonText::parse(&bad_text).unwrap().datum())
                .unwrap_err()
                .to_string(),
            serializer.encode(&bad).unwrap_err().to_string()
        );
    }

    #[test]
    fn a_repeated_key_is_refused() {
        let serializer = Serializer::from_schema_text(
            1,
            r#"{"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}"#,
        )
        .unwrap();
        let text = JsonText::parse(r#"{"a": 1, "a": 2}"#).unwrap();
        let err = serializer.encode(text.datum()).unwrap_err();
        assert!(err.to_string().contains("more than once"), "{err}");
    }
}
