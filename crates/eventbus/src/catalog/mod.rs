//! The software catalog's `Event` entity: checking a `catalog-info.yaml`
//! against the Event Bus's rules for it, and writing a starter file.
//!
//! Every problem is reported, not only the first, each with its line,
//! column and path (`spec.topics[1].environment`) and a one-line fix, so a
//! producing team can correct the file in one pass. The same rules are
//! written as a JSON Schema in `schemas/catalog-info.schema.json` for
//! editors; a test runs both over the same files.

mod rules;
mod starter;
pub mod yaml;

pub use starter::{SourceSystem, StarterEvent, StarterTopic};

/// How much a problem matters: errors make the catalog refuse the file;
/// warnings point at something it will ignore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem in a catalog file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Where the problem is, counted from 1.
    pub line: usize,
    pub column: usize,
    /// The field, as `spec.topics[1].environment`; empty for the whole file.
    pub path: String,
    pub message: String,
    /// What to change, in one line.
    pub fix: String,
}

/// Everything found in one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }
}

/// Checks the text of a `catalog-info.yaml`. Documents of other kinds (a
/// `Component` beside the `Event`, say) are left alone; a file with no
/// `Event` entity at all is an error.
pub fn validate(text: &str) -> Report {
    let documents = match yaml::parse(text) {
        Ok(documents) => documents,
        Err(err) => {
            return Report {
                diagnostics: syntax_diagnostics(text, &err),
            };
        }
    };
    rules::check_documents(&documents)
}

/// A YAML syntax error as diagnostics. The parser stops at the first
/// error, so only that one is known in general; but the usual cause, a key
/// indented deeper than the first key of its list item (as the template on
/// the Event Bus's onboarding page prints `title` under `- url:`), can be
/// found everywhere in the file, and each place is reported.
fn syntax_diagnostics(text: &str, err: &yaml::SyntaxError) -> Vec<Diagnostic> {
    let lines: Vec<&str> = text.lines().collect();
    let misplaced = misplaced_list_keys(&lines);
    let explains_error = misplaced
        .iter()
        .any(|m| m.line == err.mark.line || m.line + 1 == err.mark.line);
    if !explains_error {
        return vec![Diagnostic {
            severity: Severity::Error,
            line: err.mark.line,
            column: err.mark.column,
            path: String::new(),
            message: format!("not valid YAML: {}", err.problem),
            fix: "correct the YAML syntax on this line (indentation uses spaces, and each key \
                  is followed by a colon and a space)"
                .into(),
        }];
    }
    misplaced
        .into_iter()
        .map(|m| Diagnostic {
            severity: Severity::Error,
            line: m.line,
            column: m.column,
            path: String::new(),
            message: format!(
                "not valid YAML: `{}` is indented deeper than `{}` on line {}, so YAML reads \
                 it as part of that value",
                m.key, m.first_key, m.first_line
            ),
            fix: format!(
                "every key of a list item starts in the same column as the first: move `{}` \
                 left to column {}, under `{}`",
                m.key, m.first_column, m.first_key
            ),
        })
        .collect()
}

struct MisplacedKey {
    key: String,
    line: usize,
    column: usize,
    first_key: String,
    first_line: usize,
    first_column: usize,
}

/// Every `key:` line indented deeper than the first key of its list item
/// (`- url: ...`) while the key above it already has a value on its line,
/// so that it cannot be the start of a nested mapping.
fn misplaced_list_keys(lines: &[&str]) -> Vec<MisplacedKey> {
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix("- ") else {
            continue;
        };
        let dash = line.len() - trimmed.len();
        let first_column = dash + 2 + (rest.len() - rest.trim_start().len());
        let Some((_, first_key, first_has_value)) = key_at(rest.trim_start()) else {
            continue;
        };
        let mut above_has_value = first_has_value;
        for (offset, next) in lines[index + 1..].iter().enumerate() {
            if next.trim().is_empty() || next.trim_start().starts_with('#') {
                continue;
            }
            let Some((indent, key, has_value)) = key_at(next) else {
                break;
            };
            if indent <= dash || next.trim_start().starts_with("- ") {
                break;
            }
            if indent > first_column && above_has_value {
                found.push(MisplacedKey {
                    key,
                    line: index + offset + 2,
                    column: indent + 1,
                    first_key: first_key.clone(),
                    first_line: index + 1,
                    first_column: first_column + 1,
                });
            } else if indent > first_column {
                // A nested mapping under a key that has no value of its own.
                break;
            }
            above_has_value = has_value;
        }
    }
    found
}

/// The indentation and key of a line that starts `key:`, and whether a
/// value follows on the same line.
fn key_at(line: &str) -> Option<(usize, String, bool)> {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    let (key, value) = trimmed.split_once(':')?;
    let key_ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    key_ok.then(|| (indent, key.to_owned(), !value.trim().is_empty()))
}

#[cfg(test)]
mod tests;
