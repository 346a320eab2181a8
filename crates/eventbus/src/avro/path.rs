//! Field paths for record errors: `facility.city`, `procedureCodes[2]`,
//! `attributes["insurancePlan"]`.
//!
//! The path is built only when something fails: each level of the encoder
//! adds its segment while the error travels back up, so a valid record pays
//! nothing for it.

use crate::error::Error;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Field(Box<str>),
    Index(usize),
    Key(Box<str>),
}

/// A record that does not fit its schema: what is wrong, and where.
///
/// Boxed, so that the `Result` every level of the encoder returns is one
/// word and a valid record never moves an error-sized value around.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordError(Box<Inner>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Inner {
    /// Innermost segment first; reversed when rendered.
    segments: Vec<Segment>,
    problem: String,
}

impl RecordError {
    /// A problem with the value at the current position. Bindings use this
    /// for failures of their own while reading a host object.
    pub fn new(problem: impl Into<String>) -> Self {
        RecordError(Box::new(Inner {
            segments: Vec::new(),
            problem: problem.into(),
        }))
    }

    pub(crate) fn in_field(mut self, name: &str) -> Self {
        self.0.segments.push(Segment::Field(name.into()));
        self
    }

    pub(crate) fn in_item(mut self, index: usize) -> Self {
        self.0.segments.push(Segment::Index(index));
        self
    }

    pub(crate) fn in_entry(mut self, key: &str) -> Self {
        self.0.segments.push(Segment::Key(key.into()));
        self
    }

    /// What is wrong, without the path.
    pub fn problem(&self) -> &str {
        &self.0.problem
    }

    /// The rendered path from the root; empty when the root itself is wrong.
    pub fn path(&self) -> String {
        let mut out = String::new();
        for segment in self.0.segments.iter().rev() {
            match segment {
                Segment::Field(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                Segment::Index(index) => {
                    out.push('[');
                    out.push_str(&index.to_string());
                    out.push(']');
                }
                Segment::Key(key) => {
                    out.push('[');
                    // A JSON string literal quotes and escapes any key unambiguously.
                    out.push_str(&serde_json::Value::from(&**key).to_string());
                    out.push(']');
                }
            }
        }
        out
    }
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.path() {
            path if path.is_empty() => write!(f, "<root>: {}", self.0.problem),
            path => write!(f, "{path}: {}", self.0.problem),
        }
    }
}

impl std::error::Error for RecordError {}

impl From<RecordError> for Error {
    fn from(err: RecordError) -> Self {
        Error::InvalidRecord {
            field_path: err.path(),
            problem: err.0.problem,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_fields_items_and_keys_from_the_root() {
        let err = RecordError::new("expected string, found null")
            .in_field("city")
            .in_entry("home \"main\"")
            .in_field("addresses")
            .in_item(2)
            .in_field("facility");
        // Built innermost first, rendered outermost first.
        assert_eq!(
            err.path(),
            "facility[2].addresses[\"home \\\"main\\\"\"].city"
        );
    }

    #[test]
    fn root_problem_has_an_empty_path() {
        let err: Error = RecordError::new("expected object, found string").into();
        assert_eq!(err.field_path(), Some(""));
        assert_eq!(
            err.to_string(),
            "invalid record: <root>: expected object, found string"
        );
    }
}
