//! Whether a new version of a schema may be registered after the earlier
//! ones, under the compatibility modes of the Confluent registry API
//! (BACKWARD, the Event Bus default, FORWARD, FULL and their transitive
//! forms), decided by Avro's own schema resolution rules rather than by the
//! registry.
//!
//! This module owns the resolution rules (which writer data a reader
//! schema can read) and the words a producing team reads when a change
//! breaks them. Where the schemas come from (files, the registry) is the
//! caller's business. It is pure Rust, with no I/O.

mod shape;

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::schema::CompiledSchema;
use shape::{Field, Named, Shape, Type, TypeId, short};

/// Which earlier versions a new schema must stay compatible with, and in
/// which direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum CompatibilityMode {
    /// The new schema can read events written with the latest version: consumers
    /// upgrade first. The Event Bus default.
    #[default]
    Backward,
    /// Readers of the latest version can read events written with the new schema:
    /// producers upgrade first.
    Forward,
    /// Both [`Backward`](Self::Backward) and [`Forward`](Self::Forward) against the
    /// latest version.
    Full,
    /// Backward against every earlier version.
    BackwardTransitive,
    /// Forward against every earlier version.
    ForwardTransitive,
    /// Full against every earlier version.
    FullTransitive,
}

impl CompatibilityMode {
    /// Every mode, in a fixed order.
    pub const ALL: [CompatibilityMode; 6] = [
        CompatibilityMode::Backward,
        CompatibilityMode::Forward,
        CompatibilityMode::Full,
        CompatibilityMode::BackwardTransitive,
        CompatibilityMode::ForwardTransitive,
        CompatibilityMode::FullTransitive,
    ];

    /// The name the registry API uses (`BACKWARD_TRANSITIVE`).
    pub fn as_str(self) -> &'static str {
        match self {
            CompatibilityMode::Backward => "BACKWARD",
            CompatibilityMode::Forward => "FORWARD",
            CompatibilityMode::Full => "FULL",
            CompatibilityMode::BackwardTransitive => "BACKWARD_TRANSITIVE",
            CompatibilityMode::ForwardTransitive => "FORWARD_TRANSITIVE",
            CompatibilityMode::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// Whether every earlier version is checked, not only the latest.
    pub fn is_transitive(self) -> bool {
        matches!(
            self,
            CompatibilityMode::BackwardTransitive
                | CompatibilityMode::ForwardTransitive
                | CompatibilityMode::FullTransitive
        )
    }

    /// The directions this mode checks.
    pub fn directions(self) -> &'static [Direction] {
        match self {
            CompatibilityMode::Backward | CompatibilityMode::BackwardTransitive => {
                &[Direction::Backward]
            }
            CompatibilityMode::Forward | CompatibilityMode::ForwardTransitive => {
                &[Direction::Forward]
            }
            CompatibilityMode::Full | CompatibilityMode::FullTransitive => {
                &[Direction::Backward, Direction::Forward]
            }
        }
    }
}

impl fmt::Display for CompatibilityMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Accepts the registry's names and the command line's, in any case:
/// `BACKWARD_TRANSITIVE`, `backward-transitive`.
impl FromStr for CompatibilityMode {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let wanted = text.trim().replace('-', "_");
        CompatibilityMode::ALL
            .into_iter()
            .find(|mode| mode.as_str().eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| {
                Error::config(format!(
                    "unknown compatibility mode {text:?}; use one of backward, forward, full, \
                     backward-transitive, forward-transitive, full-transitive"
                ))
            })
    }
}

/// Which reading a breaking change breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The new schema reading events written with an earlier version.
    Backward,
    /// Readers of an earlier version reading events written with the new schema.
    Forward,
}

/// What kind of change breaks a reader, as a stable category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChangeKind {
    /// A field that readers of an earlier version need, without a default, is gone.
    FieldRemoved,
    /// A field without a default was added, so older events lack it.
    FieldAddedWithoutDefault,
    /// A type changed in a way resolution cannot bridge (no promotion applies).
    TypeChanged,
    /// An enum symbol that older events may hold is gone.
    EnumSymbolRemoved,
    /// An enum symbol was added that readers of an earlier version do not know.
    EnumSymbolAdded,
    /// A union branch that older events may use is gone.
    UnionBranchRemoved,
    /// A union branch was added that readers of an earlier version cannot read.
    UnionBranchAdded,
    /// A record, enum or fixed type has another name, and no alias bridges it.
    Renamed,
    /// A fixed type has another size.
    FixedSizeChanged,
}

impl ChangeKind {
    /// The stable, snake_case name of this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::FieldRemoved => "field_removed",
            ChangeKind::FieldAddedWithoutDefault => "field_added_without_default",
            ChangeKind::TypeChanged => "type_changed",
            ChangeKind::EnumSymbolRemoved => "enum_symbol_removed",
            ChangeKind::EnumSymbolAdded => "enum_symbol_added",
            ChangeKind::UnionBranchRemoved => "union_branch_removed",
            ChangeKind::UnionBranchAdded => "union_branch_added",
            ChangeKind::Renamed => "renamed",
            ChangeKind::FixedSizeChanged => "fixed_size_changed",
        }
    }
}

/// One change that stops a reader from reading, against one earlier version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BreakingChange {
    /// Where in the schema, from the new schema's root record:
    /// `AppointmentEvent.facility.city`; `[]` marks array items and `{}` map values.
    pub path: String,
    /// The earlier version this change breaks against.
    pub version: u32,
    pub direction: Direction,
    pub kind: ChangeKind,
    /// What changed and why it breaks, in a producing team's words.
    pub message: String,
}

impl fmt::Display for BreakingChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// An earlier registered version of the subject.
#[derive(Clone, Copy, Debug)]
pub struct PreviousVersion<'a> {
    /// The registry's version number, or a position for local files.
    pub version: u32,
    pub schema: &'a CompiledSchema,
}

/// The outcome of [`check_compatibility`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompatibilityReport {
    pub mode: CompatibilityMode,
    /// The versions the new schema was checked against, oldest first.
    pub checked_versions: Vec<u32>,
    /// Empty exactly when the new schema is compatible.
    pub breaking_changes: Vec<BreakingChange>,
}

impl CompatibilityReport {
    pub fn is_compatible(&self) -> bool {
        self.breaking_changes.is_empty()
    }
}

/// Decides whether `new` may follow `previous` (oldest first) under `mode`,
/// by the reader and writer rules of the Avro specification: the latest
/// version only for the plain modes, every version for the transitive ones.
///
/// With no previous version every schema is compatible. Fails only when a
/// schema text cannot be read as a schema (`invalid_schema`).
pub fn check_compatibility(
    new: &CompiledSchema,
    previous: &[PreviousVersion<'_>],
    mode: CompatibilityMode,
) -> Result<CompatibilityReport> {
    let new_shape = shape_of(new, "the new schema")?;
    let against = match (mode.is_transitive(), previous.last()) {
        (true, _) => previous,
        (false, Some(_)) => &previous[previous.len() - 1..],
        (false, None) => previous,
    };

    let mut breaking_changes = Vec::new();
    for old in against {
        let old_shape = shape_of(old.schema, &format!("version {}", old.version))?;
        for &direction in mode.directions() {
            let mut resolution = Resolution {
                new: &new_shape,
                old: &old_shape,
                version: old.version,
                direction,
                seen: HashSet::new(),
                changes: Vec::new(),
            };
            let path = root_path(&new_shape);
            match direction {
                Direction::Backward => resolution.resolve(old_shape.root, new_shape.root, &path),
                Direction::Forward => resolution.resolve(new_shape.root, old_shape.root, &path),
            }
            for change in resolution.changes {
                if !breaking_changes.contains(&change) {
                    breaking_changes.push(change);
                }
            }
        }
    }
    Ok(CompatibilityReport {
        mode,
        checked_versions: against.iter().map(|old| old.version).collect(),
        breaking_changes,
    })
}

fn shape_of(schema: &CompiledSchema, origin: &str) -> Result<Shape> {
    Shape::parse(schema.text()).map_err(|reason| Error::InvalidSchema {
        origin: origin.to_string(),
        reason,
    })
}

fn root_path(shape: &Shape) -> String {
    match &shape.types[shape.root] {
        Type::Record(named, _) | Type::Enum(named, ..) | Type::Fixed(named, _) => {
            named.short_name().to_string()
        }
        _ => shape.describe(shape.root),
    }
}

/// One reading: a writer's data through a reader's schema, one of them the
/// new schema and the other an earlier version.
struct Resolution<'a> {
    new: &'a Shape,
    old: &'a Shape,
    version: u32,
    direction: Direction,
    /// Pairs of (writer, reader) types already resolved, so recursive types end.
    seen: HashSet<(TypeId, TypeId)>,
    changes: Vec<BreakingChange>,
}

impl<'a> Resolution<'a> {
    fn writer(&self) -> &'a Shape {
        match self.direction {
            Direction::Backward => self.old,
            Direction::Forward => self.new,
        }
    }

    fn reader(&self) -> &'a Shape {
        match self.direction {
            Direction::Backward => self.new,
            Direction::Forward => self.old,
        }
    }

    fn resolve(&mut self, writer: TypeId, reader: TypeId, path: &str) {
        if !self.seen.insert((writer, reader)) {
            return;
        }
        let (writer_shape, reader_shape) = (self.writer(), self.reader());
        match (&writer_shape.types[writer], &reader_shape.types[reader]) {
            (Type::Union(writer_branches), Type::Union(_)) => {
                for &branch in writer_branches {
                    match self.reader_branch(branch, reader) {
                        Some(reader_branch) => self.resolve(branch, reader_branch, path),
                        None => self.branch_unreadable(branch, path),
                    }
                }
            }
            (Type::Union(writer_branches), _) => {
                for &branch in writer_branches {
                    if matches_branch(writer_shape, branch, reader_shape, reader, true) {
                        self.resolve(branch, reader, path);
                    } else {
                        self.branch_unreadable(branch, path);
                    }
                }
            }
            (_, Type::Union(_)) => match self.reader_branch(writer, reader) {
                Some(reader_branch) => self.resolve(writer, reader_branch, path),
                None => self.type_changed(writer, reader, path),
            },
            (Type::Array(writer_items), Type::Array(reader_items)) => {
                self.resolve(*writer_items, *reader_items, &format!("{path}[]"));
            }
            (Type::Map(writer_values), Type::Map(reader_values)) => {
                self.resolve(*writer_values, *reader_values, &format!("{path}{{}}"));
            }
            (
                Type::Record(writer_name, writer_fields),
                Type::Record(reader_name, reader_fields),
            ) => {
                if self.names_match(writer_name, reader_name, "record", path) {
                    self.resolve_fields(writer_fields, reader_fields, path);
                }
            }
            (
                Type::Enum(writer_name, writer_symbols, _),
                Type::Enum(reader_name, reader_symbols, reader_default),
            ) => {
                if self.names_match(writer_name, reader_name, "enum", path)
                    && reader_default.is_none()
                {
                    for symbol in writer_symbols {
                        if !reader_symbols.contains(symbol) {
                            self.symbol_unknown(symbol, reader_name, path);
                        }
                    }
                }
            }
            (Type::Fixed(writer_name, writer_size), Type::Fixed(reader_name, reader_size)) => {
                if self.names_match(writer_name, reader_name, "fixed", path)
                    && writer_size != reader_size
                {
                    let (old_size, new_size) = self.old_and_new(*writer_size, *reader_size);
                    let message = format!(
                        "size of fixed `{}` changed from {old_size} to {new_size} bytes",
                        reader_name.short_name()
                    );
                    self.report(path, ChangeKind::FixedSizeChanged, message);
                }
            }
            (writer_type, reader_type) => {
                if !promotes(writer_type, reader_type) && !same_primitive(writer_type, reader_type)
                {
                    self.type_changed(writer, reader, path);
                }
            }
        }
    }

    fn resolve_fields(&mut self, writer_fields: &[Field], reader_fields: &[Field], path: &str) {
        for reader_field in reader_fields {
            let writer_field = writer_fields
                .iter()
                .find(|field| field.name == reader_field.name)
                .or_else(|| {
                    writer_fields
                        .iter()
                        .find(|field| reader_field.aliases.contains(&field.name))
                });
            match writer_field {
                Some(writer_field) => {
                    let name = match self.direction {
                        Direction::Backward => &reader_field.name,
                        Direction::Forward => &writer_field.name,
                    };
                    let field_path = format!("{path}.{name}");
                    self.resolve(writer_field.type_id, reader_field.type_id, &field_path);
                }
                None if reader_field.has_default => {}
                None => self.field_missing(reader_field, writer_fields, path),
            }
        }
    }

    /// The reader union's branch that a writer type resolves to: the first
    /// of the same type, else the first it promotes to.
    fn reader_branch(&self, writer: TypeId, reader_union: TypeId) -> Option<TypeId> {
        let (writer_shape, reader_shape) = (self.writer(), self.reader());
        let Type::Union(branches) = &reader_shape.types[reader_union] else {
            return None;
        };
        let find = |promoting: bool| {
            branches.iter().copied().find(|&branch| {
                matches_branch(writer_shape, writer, reader_shape, branch, promoting)
            })
        };
        find(false).or_else(|| find(true))
    }

    fn names_match(&mut self, writer: &Named, reader: &Named, kind: &str, path: &str) -> bool {
        if named_match(writer, reader) {
            return true;
        }
        let (old, new) = self.old_and_new(writer, reader);
        let mut message = format!(
            "{kind} `{}` was renamed to `{}` without an alias",
            old.short_name(),
            new.short_name()
        );
        if self.direction == Direction::Forward && new.aliases.contains(&old.full_name) {
            message = format!(
                "{kind} `{}` was renamed to `{}`, and readers of version {} know only the old \
                 name (the alias on `{}` helps readers of the new schema only)",
                old.short_name(),
                new.short_name(),
                self.version,
                new.short_name()
            );
        }
        self.report(path, ChangeKind::Renamed, message);
        false
    }

    /// Orders a (writer, reader) pair as (old schema's, new schema's).
    fn old_and_new<T>(&self, writer: T, reader: T) -> (T, T) {
        match self.direction {
            Direction::Backward => (writer, reader),
            Direction::Forward => (reader, writer),
        }
    }

    fn field_missing(&mut self, reader_field: &Field, writer_fields: &[Field], path: &str) {
        let name = &reader_field.name;
        let version = self.version;
        let (kind, message) = match self.direction {
            Direction::Backward => (
                ChangeKind::FieldAddedWithoutDefault,
                format!(
                    "field `{name}` was added without a default, so this schema cannot read \
                     events written with version {version}, which lack it"
                ),
            ),
            Direction::Forward => {
                let renamed = writer_fields
                    .iter()
                    .find(|field| field.aliases.contains(name));
                let message = match renamed {
                    Some(new_field) => format!(
                        "field `{name}` was renamed to `{}`, and readers of version {version} \
                         need `{name}` (it has no default; an alias helps readers of the new \
                         schema only)",
                        new_field.name
                    ),
                    None => format!(
                        "field `{name}` was removed, and readers of version {version} need it \
                         (it has no default)"
                    ),
                };
                (ChangeKind::FieldRemoved, message)
            }
        };
        self.report(&format!("{path}.{name}"), kind, message);
    }

    fn symbol_unknown(&mut self, symbol: &str, reader_enum: &Named, path: &str) {
        let version = self.version;
        let (kind, message) = match self.direction {
            Direction::Backward => (
                ChangeKind::EnumSymbolRemoved,
                format!(
                    "enum symbol `{symbol}` was removed from `{}`, and events written with \
                     version {version} may hold it (the enum has no default)",
                    reader_enum.short_name()
                ),
            ),
            Direction::Forward => (
                ChangeKind::EnumSymbolAdded,
                format!(
                    "enum symbol `{symbol}` was added to `{}`, and readers of version {version} \
                     do not know it (their enum has no default)",
                    reader_enum.short_name()
                ),
            ),
        };
        self.report(path, kind, message);
    }

    fn branch_unreadable(&mut self, writer_branch: TypeId, path: &str) {
        let branch = self.writer().branch_name(writer_branch);
        let field = last_segment(path);
        let version = self.version;
        let (kind, message) = match self.direction {
            Direction::Backward => (
                ChangeKind::UnionBranchRemoved,
                format!(
                    "union branch `{branch}` was removed from `{field}`, and events written \
                     with version {version} may use it"
                ),
            ),
            Direction::Forward => (
                ChangeKind::UnionBranchAdded,
                format!(
                    "union branch `{branch}` was added to `{field}`, and readers of version \
                     {version} cannot read it"
                ),
            ),
        };
        self.report(path, kind, message);
    }

    fn type_changed(&mut self, writer: TypeId, reader: TypeId, path: &str) {
        let writer_type = self.writer().describe(writer);
        let reader_type = self.reader().describe(reader);
        let (old_type, new_type) = self.old_and_new(writer_type, reader_type);
        let field = last_segment(path);
        let consequence = match self.direction {
            Direction::Backward => format!(
                "this schema cannot read the {old_type} values written with version {}",
                self.version
            ),
            Direction::Forward => format!(
                "readers of version {} cannot read {new_type} values as {old_type}",
                self.version
            ),
        };
        let message =
            format!("type of `{field}` changed from {old_type} to {new_type}; {consequence}");
        self.report(path, ChangeKind::TypeChanged, message);
    }

    fn report(&mut self, path: &str, kind: ChangeKind, message: String) {
        self.changes.push(BreakingChange {
            path: path.to_string(),
            version: self.version,
            direction: self.direction,
            kind,
            message,
        });
    }
}

/// Whether a named reader type accepts data of a named writer type: the
/// same full name, or the writer's full name among the reader's aliases.
fn named_match(writer: &Named, reader: &Named) -> bool {
    writer.full_name == reader.full_name || reader.aliases.contains(&writer.full_name)
}

/// Whether `writer` selects the reader union branch `reader`: the same type
/// (named types by name; arrays and maps then resolve their items), or, with
/// `promoting`, one it promotes to.
fn matches_branch(
    writer_shape: &Shape,
    writer: TypeId,
    reader_shape: &Shape,
    reader: TypeId,
    promoting: bool,
) -> bool {
    let (writer_type, reader_type) = (&writer_shape.types[writer], &reader_shape.types[reader]);
    match (writer_type, reader_type) {
        (Type::Array(_), Type::Array(_)) | (Type::Map(_), Type::Map(_)) => true,
        (Type::Record(w, _), Type::Record(r, _))
        | (Type::Enum(w, ..), Type::Enum(r, ..))
        | (Type::Fixed(w, _), Type::Fixed(r, _)) => named_match(w, r),
        _ => {
            same_primitive(writer_type, reader_type)
                || (promoting && promotes(writer_type, reader_type))
        }
    }
}

fn same_primitive(writer: &Type, reader: &Type) -> bool {
    matches!(
        (writer, reader),
        (Type::Null, Type::Null)
            | (Type::Boolean, Type::Boolean)
            | (Type::Int, Type::Int)
            | (Type::Long, Type::Long)
            | (Type::Float, Type::Float)
            | (Type::Double, Type::Double)
            | (Type::Bytes, Type::Bytes)
            | (Type::String, Type::String)
    )
}

/// The promotions of the Avro specification.
fn promotes(writer: &Type, reader: &Type) -> bool {
    matches!(
        (writer, reader),
        (Type::Int, Type::Long | Type::Float | Type::Double)
            | (Type::Long, Type::Float | Type::Double)
            | (Type::Float, Type::Double)
            | (Type::String, Type::Bytes)
            | (Type::Bytes, Type::String)
    )
}

fn last_segment(path: &str) -> &str {
    short(path)
}

#[cfg(test)]
mod tests;
