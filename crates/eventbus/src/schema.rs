//! A parsed and compiled Avro schema, its identity (canonical form and
//! fingerprints), and how a caller pins one.

use std::fmt;

use apache_avro::Schema;
use apache_avro::rabin::Rabin;
use sha2::{Digest, Sha256};

use crate::avro::Plan;
use crate::error::{Error, Result};

/// A schema ready to encode with: the parsed form, its compiled plan and
/// its fingerprint. Built once per schema and shared.
pub struct CompiledSchema {
    text: String,
    schema: Schema,
    plan: Plan,
    canonical_form: String,
    fingerprint: String,
}

impl fmt::Debug for CompiledSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledSchema")
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

impl CompiledSchema {
    /// Parses and compiles schema text. `origin` names where the text came
    /// from (a file, a registry id) for the error message.
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        let invalid = |reason: String| Error::InvalidSchema {
            origin: origin.to_string(),
            reason,
        };
        let schema = Schema::parse_str(text).map_err(|err| invalid(err.to_string()))?;
        let plan = Plan::compile(&schema).map_err(invalid)?;
        let canonical_form = schema.canonical_form();
        let digest = Sha256::digest(canonical_form.as_bytes());
        let fingerprint = digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>();
        Ok(CompiledSchema {
            text: text.to_string(),
            schema,
            plan,
            canonical_form,
            fingerprint: format!("sha256:{fingerprint}"),
        })
    }

    /// The schema text as it was given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The parsed schema.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    pub(crate) fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The Avro Parsing Canonical Form.
    pub fn canonical_form(&self) -> &str {
        &self.canonical_form
    }

    /// SHA-256 of the Parsing Canonical Form, as `sha256:<hex>`. Two copies
    /// of a schema are the same schema exactly when these agree.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The 64-bit Rabin fingerprint of the canonical form (Avro's own
    /// single-object encoding uses it), as `rabin:<hex>`.
    pub fn rabin_fingerprint(&self) -> String {
        format!("rabin:{}", self.schema.fingerprint::<Rabin>())
    }
}

/// Which registered schema a serializer writes with.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SchemaPin {
    /// A schema id, as the Event Bus team hands out (`use.schema.id`).
    Id(u32),
    /// A subject and version number, resolved once to an id.
    Version { subject: String, version: u32 },
    /// Whatever the subject's latest version is when resolved. Refused
    /// unless the caller opts in: a new version registered while a
    /// producer runs would change what it writes without a deploy.
    Latest { subject: String },
}

impl SchemaPin {
    /// Parses a version as given on a command line or in settings:
    /// a positive number, or `latest`.
    pub fn subject_version(subject: &str, version: &str) -> Result<Self> {
        let subject = subject.to_string();
        if version.eq_ignore_ascii_case("latest") || version == "-1" {
            return Ok(SchemaPin::Latest { subject });
        }
        match version.parse::<u32>() {
            Ok(version) if version > 0 => Ok(SchemaPin::Version { subject, version }),
            _ => Err(Error::config(format!(
                "schema version {version:?} for subject {subject:?} is not a positive number"
            ))),
        }
    }
}

impl fmt::Display for SchemaPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaPin::Id(id) => write!(f, "schema id {id}"),
            SchemaPin::Version { subject, version } => {
                write!(f, "subject {subject:?} version {version}")
            }
            SchemaPin::Latest { subject } => write!(f, "subject {subject:?} latest version"),
        }
    }
}
