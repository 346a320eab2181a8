//! Encodes any `serde::Serialize` value — typically an application's own
//! `#[derive(Serialize)]` struct — straight into Avro binary, with no tree
//! in between.
//!
//! serde pushes a value at us piece by piece, while the rest of the encoder
//! pulls from a [`Datum`]. The two meet at scalars: each number, string or
//! byte string serde hands over is wrapped as a one-value [`Datum`] and
//! written by the same code as every other caller's values, so unions,
//! logical types (ISO timestamps, decimals as text, UUIDs) and their error
//! messages behave exactly as they do for JSON. What is serde-specific is
//! the shape: structs and maps become records and maps, sequences arrays,
//! `Option` a null branch, unit variants enum symbols, and a variant with
//! data the union branch it names.
//!
//! Struct fields usually arrive in schema order and are written as they
//! come. A field that arrives early (the struct declares fields in another
//! order, or skips one) is encoded on the side and put in its place at the
//! end, so field order in Rust never changes the bytes.

use std::borrow::Cow;
use std::fmt::Display;

use serde::ser::{self, Impossible, Serialize};

use super::datum::{Datum, DatumKind};
use super::encode::{MAX_DEPTH, put_blob, put_long, same_name};
use super::path::RecordError;
use super::plan::{Node, NodeId, Plan, Record};

impl ser::Error for RecordError {
    fn custom<T: Display>(message: T) -> Self {
        RecordError::new(message.to_string())
    }
}

impl Plan {
    /// Appends the Avro binary encoding of a serde value. On error, `out`
    /// may hold a partial encoding that the caller must discard.
    pub fn encode_serialize<T: Serialize + ?Sized>(
        &self,
        value: &T,
        out: &mut Vec<u8>,
    ) -> Result<(), RecordError> {
        value.serialize(NodeSerializer {
            plan: self,
            id: self.root,
            out,
            depth: 0,
        })
    }
}

/// One value serde hands over whole, read through [`Datum`] by the encoder.
enum Scalar<'s> {
    Null,
    Boolean(bool),
    Integer(i64),
    /// A whole number beyond `i64`; no Avro integer holds it.
    WideInteger(f64),
    Float(f64),
    String(&'s str),
    Bytes(&'s [u8]),
}

impl Datum for &Scalar<'_> {
    fn kind(&self) -> DatumKind {
        match self {
            Scalar::Null => DatumKind::Null,
            Scalar::Boolean(_) => DatumKind::Boolean,
            Scalar::Integer(_) | Scalar::WideInteger(_) => DatumKind::Integer,
            Scalar::Float(_) => DatumKind::Float,
            Scalar::String(_) => DatumKind::String,
            Scalar::Bytes(_) => DatumKind::Bytes,
        }
    }

    fn as_bool(&self) -> Option<bool> {
        match self {
            Scalar::Boolean(value) => Some(*value),
            _ => None,
        }
    }

    fn as_long(&self) -> Option<i64> {
        match self {
            Scalar::Integer(value) => Some(*value),
            _ => None,
        }
    }

    fn as_double(&self) -> Option<f64> {
        match self {
            Scalar::Integer(value) => Some(*value as f64),
            Scalar::WideInteger(value) | Scalar::Float(value) => Some(*value),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<Cow<'_, str>> {
        match self {
            Scalar::String(text) => Some(Cow::Borrowed(text)),
            _ => None,
        }
    }

    fn as_bytes(&self) -> Option<Cow<'_, [u8]>> {
        match self {
            Scalar::Bytes(bytes) => Some(Cow::Borrowed(bytes)),
            _ => None,
        }
    }

    fn field(&self, _name: &str) -> Option<Self> {
        None
    }

    fn count(&self) -> Option<usize> {
        None
    }

    fn for_each_item<F>(&self, _f: F) -> Result<(), RecordError>
    where
        F: FnMut(Self) -> Result<(), RecordError>,
    {
        Ok(())
    }

    fn for_each_entry<F>(&self, _f: F) -> Result<(), RecordError>
    where
        F: FnMut(&str, Self) -> Result<(), RecordError>,
    {
        Ok(())
    }
}

/// Writes one serde value as plan node `id`.
struct NodeSerializer<'a> {
    plan: &'a Plan,
    id: NodeId,
    out: &'a mut Vec<u8>,
    depth: usize,
}

impl<'a> NodeSerializer<'a> {
    /// Writes a scalar. The plain cases (text as a string or an enum
    /// symbol, a whole number as an int, long or timestamp in its unit, a
    /// boolean) are written here, sparing each the general node walk;
    /// everything else, failures included, goes through the shared node
    /// code, so the rules and their messages live in one place.
    #[inline]
    fn scalar(self, value: Scalar<'_>) -> Result<(), RecordError> {
        match (&self.plan.nodes[self.id], &value) {
            (Node::String, Scalar::String(text)) => {
                put_blob(self.out, text.as_bytes());
                return Ok(());
            }
            (Node::Enum { symbols, .. }, Scalar::String(text)) => {
                if let Some(index) = symbols.iter().position(|s| **s == **text) {
                    put_long(self.out, index as i64);
                    return Ok(());
                }
            }
            (Node::Long | Node::Timestamp(_) | Node::LocalTimestamp(_), Scalar::Integer(value)) => {
                put_long(self.out, *value);
                return Ok(());
            }
            (Node::Int | Node::Date, Scalar::Integer(value)) if i32::try_from(*value).is_ok() => {
                put_long(self.out, *value);
                return Ok(());
            }
            (Node::Boolean, Scalar::Boolean(value)) => {
                self.out.push(u8::from(*value));
                return Ok(());
            }
            _ => {}
        }
        self.plan.write(self.id, &&value, self.out, self.depth)
    }

    fn deeper(&self) -> Result<usize, RecordError> {
        if self.depth >= MAX_DEPTH {
            Err(RecordError::new(format!(
                "value nests deeper than {MAX_DEPTH} levels"
            )))
        } else {
            Ok(self.depth + 1)
        }
    }

    /// The node a compound value is written as: the node itself, or the
    /// union branch `choose` picks, whose index is written first.
    fn branch(
        &mut self,
        found: impl Display,
        choose: impl Fn(&Node) -> bool,
    ) -> Result<NodeId, RecordError> {
        let Node::Union(branches) = &self.plan.nodes[self.id] else {
            return Ok(self.id);
        };
        let index = branches
            .iter()
            .position(|&b| choose(&self.plan.nodes[b]))
            .ok_or_else(|| self.mismatch(found))?;
        put_long(self.out, index as i64);
        Ok(branches[index])
    }

    /// The union branch a Rust enum variant with data names: by the
    /// branch's type name, full or short (`Facility` for
    /// `gov.va.Facility`), or for unnamed types `array`, `map`, `string`...
    fn variant_branch(&mut self, variant: &str) -> Result<NodeId, RecordError> {
        let Node::Union(branches) = &self.plan.nodes[self.id] else {
            return Err(RecordError::new(format!(
                "expected {}, found enum variant {variant} with data; an enum with data \
                 is written as a union whose branch it names",
                self.plan.describe(self.id)
            )));
        };
        let index = branches
            .iter()
            .position(|&b| {
                let name = self.plan.branch_name(b);
                name == variant || name.rsplit('.').next() == Some(variant)
            })
            .ok_or_else(|| {
                RecordError::new(format!(
                    "variant {variant} names no branch of {}",
                    self.plan.describe(self.id)
                ))
            })?;
        put_long(self.out, index as i64);
        Ok(branches[index])
    }

    fn mismatch(&self, found: impl Display) -> RecordError {
        RecordError::new(format!(
            "expected {}, found {found}",
            self.plan.describe(self.id)
        ))
    }

    /// Starts a sequence: an Avro array, or bytes given as a sequence of
    /// `u8` (how serde writes a `Vec<u8>` without `serde_bytes`).
    fn sequence(mut self, len: Option<usize>) -> Result<SequenceWriter<'a>, RecordError> {
        let id = self.branch("a sequence", |node| {
            matches!(node, Node::Array(_) | Node::Bytes | Node::Fixed(_))
        })?;
        let depth = self.deeper()?;
        let plan = self.plan;
        match &plan.nodes[id] {
            Node::Array(items) => {
                let block = match len {
                    // The count leads the items, so an unknown count waits
                    // in a buffer of its own.
                    Some(len) => {
                        if len > 0 {
                            put_long(self.out, len as i64);
                        }
                        None
                    }
                    None => Some(Vec::new()),
                };
                Ok(SequenceWriter::Items {
                    plan,
                    items: *items,
                    out: self.out,
                    depth,
                    announced: len,
                    block,
                    written: 0,
                })
            }
            _ => Ok(SequenceWriter::Bytes {
                plan,
                id,
                out: self.out,
                depth: self.depth,
                bytes: Vec::with_capacity(len.unwrap_or(0)),
            }),
        }
    }

    fn map(mut self, len: Option<usize>) -> Result<MapWriter<'a>, RecordError> {
        let id = self.branch("a map", |node| {
            matches!(node, Node::Map(_) | Node::Record(_))
        })?;
        let depth = self.deeper()?;
        let plan = self.plan;
        match &plan.nodes[id] {
            Node::Map(values) => {
                let block = match len {
                    Some(len) => {
                        if len > 0 {
                            put_long(self.out, len as i64);
                        }
                        None
                    }
                    None => Some(Vec::new()),
                };
                Ok(MapWriter::Entries {
                    plan,
                    values: *values,
                    out: self.out,
                    depth,
                    announced: len,
                    block,
                    written: 0,
                    key: None,
                })
            }
            Node::Record(record) => Ok(MapWriter::Fields {
                record: RecordWriter::new(plan, record, self.out, depth),
                key: None,
            }),
            _ => Err(self.mismatch("a map")),
        }
    }

    fn record(mut self, name: &str) -> Result<RecordWriter<'a>, RecordError> {
        // A union with several records picks the one the struct is named
        // after, or else its first record: Rust and Avro names often differ.
        let plan = self.plan;
        let by_name = |node: &Node| matches!(node, Node::Record(r) if short_name(&r.name) == name);
        let has_named = matches!(&plan.nodes[self.id], Node::Union(branches)
            if branches.iter().any(|&b| by_name(&plan.nodes[b])));
        let id = if has_named {
            self.branch(name, by_name)?
        } else {
            self.branch(format_args!("struct {name}"), |node| {
                matches!(node, Node::Record(_))
            })?
        };
        let depth = self.deeper()?;
        match &plan.nodes[id] {
            Node::Record(record) => Ok(RecordWriter::new(plan, record, self.out, depth)),
            // A struct's field names are not data; say what a map takes.
            Node::Map(_) => Err(RecordError::new(format!(
                "expected {}, found struct {name}; a map takes a HashMap or BTreeMap",
                plan.describe(id)
            ))),
            _ => Err(self.mismatch(format_args!("struct {name}"))),
        }
    }
}

fn short_name(full: &str) -> &str {
    full.rsplit('.').next().unwrap_or(full)
}

impl<'a> ser::Serializer for NodeSerializer<'a> {
    type Ok = ();
    type Error = RecordError;
    type SerializeSeq = SequenceWriter<'a>;
    type SerializeTuple = SequenceWriter<'a>;
    type SerializeTupleStruct = SequenceWriter<'a>;
    type SerializeTupleVariant = SequenceWriter<'a>;
    type SerializeMap = MapWriter<'a>;
    type SerializeStruct = RecordWriter<'a>;
    type SerializeStructVariant = RecordWriter<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), RecordError> {
        self.scalar(Scalar::Boolean(v))
    }

    fn serialize_i8(self, v: i8) -> Result<(), RecordError> {
        self.scalar(Scalar::Integer(v.into()))
    }

    fn serialize_i16(self, v: i16) -> Result<(), RecordError> {
        self.scalar(Scalar::Integer(v.into()))
    }

    fn serialize_i32(self, v: i32) -> Result<(), RecordError> {
        self.scalar(Scalar::Integer(v.into()))
    }

    fn serialize_i64(self, v: i64) -> Result<(), RecordError> {
        self.scalar(Scalar::Integer(v))
    }

    fn serialize_i128(self, v: i128) -> Result<(), RecordError> {
        match i64::try_from(v) {
            Ok(v) => self.scalar(Scalar::Integer(v)),
            Err(_) => self.scalar(Scalar::WideInteger(v as f64)),
        }
    }

    fn serialize_u8(self, v: u8) -> Result<(), RecordError> {
        self.scalar(Scalar::Integer(v.into()))
    }

    fn serialize_u16(self, v: u16) -> Result<(), RecordError> {
        self.scalar(Scalar::Integer(v.into()))
    }

    fn serialize_u32(self, v: u32) -> Result<(), RecordError> {
        self.scalar(Scalar::Integer(v.into()))
    }

    fn serialize_u64(self, v: u64) -> Result<(), RecordError> {
        self.serialize_u128(v.into())
    }

    fn serialize_u128(self, v: u128) -> Result<(), RecordError> {
        match i64::try_from(v) {
            Ok(v) => self.scalar(Scalar::Integer(v)),
            Err(_) => self.scalar(Scalar::WideInteger(v as f64)),
        }
    }

    fn serialize_f32(self, v: f32) -> Result<(), RecordError> {
        self.scalar(Scalar::Float(v.into()))
    }

    fn serialize_f64(self, v: f64) -> Result<(), RecordError> {
        self.scalar(Scalar::Float(v))
    }

    fn serialize_char(self, v: char) -> Result<(), RecordError> {
        self.scalar(Scalar::String(v.encode_utf8(&mut [0; 4])))
    }

    fn serialize_str(self, v: &str) -> Result<(), RecordError> {
        self.scalar(Scalar::String(v))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), RecordError> {
        self.scalar(Scalar::Bytes(v))
    }

    fn serialize_none(self) -> Result<(), RecordError> {
        self.scalar(Scalar::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), RecordError> {
        // A union picks its branch from what the inner value turns out to be.
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), RecordError> {
        self.scalar(Scalar::Null)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), RecordError> {
        self.scalar(Scalar::Null)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), RecordError> {
        // By symbol name, never by the variant's position: the Rust enum
        // and the schema's symbols need not list them in the same order.
        self.scalar(Scalar::String(variant))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), RecordError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        mut self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), RecordError> {
        let id = self.variant_branch(variant)?;
        value.serialize(NodeSerializer { id, ..self })
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<SequenceWriter<'a>, RecordError> {
        self.sequence(len)
    }

    fn serialize_tuple(self, len: usize) -> Result<SequenceWriter<'a>, RecordError> {
        self.sequence(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SequenceWriter<'a>, RecordError> {
        self.sequence(Some(len))
    }

    fn serialize_tuple_variant(
        mut self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SequenceWriter<'a>, RecordError> {
        let id = self.variant_branch(variant)?;
        NodeSerializer { id, ..self }.sequence(Some(len))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<MapWriter<'a>, RecordError> {
        self.map(len)
    }

    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<RecordWriter<'a>, RecordError> {
        self.record(name)
    }

    fn serialize_struct_variant(
        mut self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<RecordWriter<'a>, RecordError> {
        let id = self.variant_branch(variant)?;
        NodeSerializer { id, ..self }.record(variant)
    }
}

/// An array's items, or the bytes of a `Vec<u8>` given as a sequence.
enum SequenceWriter<'a> {
    Items {
        plan: &'a Plan,
        items: NodeId,
        out: &'a mut Vec<u8>,
        depth: usize,
        /// The length serde announced, already written as the block count.
        announced: Option<usize>,
        /// Items held back until their count is known.
        block: Option<Vec<u8>>,
        written: usize,
    },
    Bytes {
        plan: &'a Plan,
        id: NodeId,
        out: &'a mut Vec<u8>,
        depth: usize,
        bytes: Vec<u8>,
    },
}

impl SequenceWriter<'_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), RecordError> {
        match self {
            SequenceWriter::Items {
                plan,
                items,
                out,
                depth,
                block,
                written,
                ..
            } => {
                let out = match block {
                    Some(block) => block,
                    None => &mut **out,
                };
                let at = *written;
                value
                    .serialize(NodeSerializer {
                        plan,
                        id: *items,
                        out,
                        depth: *depth,
                    })
                    .map_err(|err| err.in_item(at))?;
                *written += 1;
                Ok(())
            }
            SequenceWriter::Bytes { bytes, .. } => {
                let at = bytes.len();
                let byte = value
                    .serialize(ByteSerializer)
                    .map_err(|err| err.in_item(at))?;
                bytes.push(byte);
                Ok(())
            }
        }
    }

    fn finish(self) -> Result<(), RecordError> {
        match self {
            SequenceWriter::Items {
                out,
                announced,
                block,
                written,
                ..
            } => {
                if let Some(block) = block {
                    if written > 0 {
                        put_long(out, written as i64);
                        out.extend_from_slice(&block);
                    }
                } else if announced != Some(written) {
                    return Err(length_mismatch(announced, written));
                }
                out.push(0);
                Ok(())
            }
            SequenceWriter::Bytes {
                plan,
                id,
                out,
                depth,
                bytes,
            } => plan.write(id, &&Scalar::Bytes(&bytes), out, depth),
        }
    }
}

fn length_mismatch(announced: Option<usize>, written: usize) -> RecordError {
    RecordError::new(format!(
        "the value's Serialize announced {} items but gave {written}",
        announced.unwrap_or(0)
    ))
}

impl ser::SerializeSeq for SequenceWriter<'_> {
    type Ok = ();
    type Error = RecordError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), RecordError> {
        self.item(value)
    }

    fn end(self) -> Result<(), RecordError> {
        self.finish()
    }
}

impl ser::SerializeTuple for SequenceWriter<'_> {
    type Ok = ();
    type Error = RecordError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), RecordError> {
        self.item(value)
    }

    fn end(self) -> Result<(), RecordError> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for SequenceWriter<'_> {
    type Ok = ();
    type Error = RecordError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), RecordError> {
        self.item(value)
    }

    fn end(self) -> Result<(), RecordError> {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for SequenceWriter<'_> {
    type Ok = ();
    type Error = RecordError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), RecordError> {
        self.item(value)
    }

    fn end(self) -> Result<(), RecordError> {
        self.finish()
    }
}

/// A record's fields as serde hands them over, by name, in any order.
struct RecordWriter<'a> {
    plan: &'a Plan,
    record: &'a Record,
    out: &'a mut Vec<u8>,
    depth: usize,
    /// Fields written to `out` so far, all in schema order.
    next: usize,
    /// Once a field arrives out of order, it and every later one are
    /// encoded here, one buffer per schema field, and put in order at the end.
    parked: Vec<Option<Vec<u8>>>,
}

impl<'a> RecordWriter<'a> {
    fn new(plan: &'a Plan, record: &'a Record, out: &'a mut Vec<u8>, depth: usize) -> Self {
        RecordWriter {
            plan,
            record,
            out,
            depth,
            next: 0,
            parked: Vec::new(),
        }
    }

    #[inline]
    fn field<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), RecordError> {
        let fields = &self.record.fields;
        if self.parked.is_empty()
            && let Some(field) = fields.get(self.next)
            && same_name(&field.name, name)
        {
            value
                .serialize(NodeSerializer {
                    plan: self.plan,
                    id: field.node,
                    out: self.out,
                    depth: self.depth,
                })
                .map_err(|err| err.in_field(&field.name))?;
            self.next += 1;
            return Ok(());
        }
        self.park(name, value)
    }

    /// A field that is not the next in schema order: encoded on the side.
    #[inline(never)]
    fn park<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), RecordError> {
        let fields = &self.record.fields;
        let index = fields
            .iter()
            .position(|f| *f.name == *name)
            .ok_or_else(|| {
                RecordError::new(format!(
                    "unknown field, not in record {}; remove it or use a schema that has it",
                    self.record.name
                ))
                .in_field(name)
            })?;
        if self.parked.is_empty() {
            self.parked.resize_with(fields.len(), || None);
        }
        if index < self.next || self.parked[index].is_some() {
            return Err(RecordError::new("given more than once; keep one").in_field(name));
        }
        let mut bytes = Vec::new();
        value
            .serialize(NodeSerializer {
                plan: self.plan,
                id: fields[index].node,
                out: &mut bytes,
                depth: self.depth,
            })
            .map_err(|err| err.in_field(name))?;
        self.parked[index] = Some(bytes);
        Ok(())
    }

    fn finish(self) -> Result<(), RecordError> {
        for (index, field) in self.record.fields.iter().enumerate().skip(self.next) {
            match (
                self.parked.get(index).and_then(Option::as_ref),
                &field.default,
            ) {
                (Some(bytes), _) => self.out.extend_from_slice(bytes),
                (None, Some(default)) => self.out.extend_from_slice(default),
                (None, None) => return Err(self.plan.missing_field(field)),
            }
        }
        Ok(())
    }
}

impl ser::SerializeStruct for RecordWriter<'_> {
    type Ok = ();
    type Error = RecordError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), RecordError> {
        self.field(key, value)
    }

    fn end(self) -> Result<(), RecordError> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for RecordWriter<'_> {
    type Ok = ();
    type Error = RecordError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), RecordError> {
        self.field(key, value)
    }

    fn end(self) -> Result<(), RecordError> {
        self.finish()
    }
}

/// A serde map: an Avro map, or a record whose field names are the keys
/// (how `#[serde(flatten)]` and `HashMap<String, _>` arrive).
enum MapWriter<'a> {
    Entries {
        plan: &'a Plan,
        values: NodeId,
        out: &'a mut Vec<u8>,
        depth: usize,
        announced: Option<usize>,
        block: Option<Vec<u8>>,
        written: usize,
        /// Where the text of the key just written starts in the output, and
        /// its length: read back only to name it in an error.
        key: Option<(usize, usize)>,
    },
    Fields {
        record: RecordWriter<'a>,
        key: Option<String>,
    },
}

impl ser::SerializeMap for MapWriter<'_> {
    type Ok = ();
    type Error = RecordError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), RecordError> {
        match self {
            MapWriter::Entries {
                out,
                block,
                key: at,
                ..
            } => {
                let out = match block {
                    Some(block) => block,
                    None => &mut **out,
                };
                let len = key.serialize(KeyWriter { out })?;
                *at = Some((out.len() - len, len));
            }
            MapWriter::Fields { key: text, .. } => {
                let mut scratch = Vec::new();
                let len = key.serialize(KeyWriter { out: &mut scratch })?;
                let start = scratch.len() - len;
                *text = Some(String::from_utf8_lossy(&scratch[start..]).into_owned());
            }
        }
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), RecordError> {
        match self {
            MapWriter::Entries {
                plan,
                values,
                out,
                depth,
                block,
                written,
                key,
                ..
            } => {
                let (start, len) = key
                    .take()
                    .ok_or_else(|| RecordError::new("a map value came without its key"))?;
                let out = match block {
                    Some(block) => block,
                    None => &mut **out,
                };
                value
                    .serialize(NodeSerializer {
                        plan,
                        id: *values,
                        out,
                        depth: *depth,
                    })
                    .map_err(|err| {
                        err.in_entry(&String::from_utf8_lossy(&out[start..start + len]))
                    })?;
                *written += 1;
                Ok(())
            }
            MapWriter::Fields { record, key } => {
                let key = key
                    .take()
                    .ok_or_else(|| RecordError::new("a map value came without its key"))?;
                record.field(&key, value)
            }
        }
    }

    fn end(self) -> Result<(), RecordError> {
        match self {
            MapWriter::Entries {
                out,
                announced,
                block,
                written,
                ..
            } => {
                if let Some(block) = block {
                    if written > 0 {
                        put_long(out, written as i64);
                        out.extend_from_slice(&block);
                    }
                } else if announced != Some(written) {
                    return Err(length_mismatch(announced, written));
                }
                out.push(0);
                Ok(())
            }
            MapWriter::Fields { record, .. } => record.finish(),
        }
    }
}

/// Writes a map key, as an Avro string, and returns the length of its
/// text. Avro map keys are strings; numbers and chars are written as their
/// text, as serde_json writes them.
struct KeyWriter<'o> {
    out: &'o mut Vec<u8>,
}

impl KeyWriter<'_> {
    fn text(self, text: &str) -> Result<usize, RecordError> {
        put_long(self.out, text.len() as i64);
        self.out.extend_from_slice(text.as_bytes());
        Ok(text.len())
    }
}

fn key_error(found: &str) -> RecordError {
    RecordError::new(format!("map keys must be strings, found {found}"))
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = usize;
    type Error = RecordError;
    type SerializeSeq = Impossible<usize, RecordError>;
    type SerializeTuple = Impossible<usize, RecordError>;
    type SerializeTupleStruct = Impossible<usize, RecordError>;
    type SerializeTupleVariant = Impossible<usize, RecordError>;
    type SerializeMap = Impossible<usize, RecordError>;
    type SerializeStruct = Impossible<usize, RecordError>;
    type SerializeStructVariant = Impossible<usize, RecordError>;

    fn serialize_bool(self, _v: bool) -> Result<usize, RecordError> {
        Err(key_error("a boolean"))
    }
    fn serialize_i8(self, v: i8) -> Result<usize, RecordError> {
        self.text(&v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<usize, RecordError> {
        self.text(&v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<usize, RecordError> {
        self.text(&v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<usize, RecordError> {
        self.text(&v.to_string())
    }
    fn serialize_i128(self, v: i128) -> Result<usize, RecordError> {
        self.text(&v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<usize, RecordError> {
        self.text(&v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<usize, RecordError> {
        self.text(&v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<usize, RecordError> {
        self.text(&v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<usize, RecordError> {
        self.text(&v.to_string())
    }
    fn serialize_u128(self, v: u128) -> Result<usize, RecordError> {
        self.text(&v.to_string())
    }
    fn serialize_f32(self, _v: f32) -> Result<usize, RecordError> {
        Err(key_error("a float"))
    }
    fn serialize_f64(self, _v: f64) -> Result<usize, RecordError> {
        Err(key_error("a float"))
    }
    fn serialize_char(self, v: char) -> Result<usize, RecordError> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<usize, RecordError> {
        self.text(v)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<usize, RecordError> {
        Err(key_error("bytes"))
    }
    fn serialize_none(self) -> Result<usize, RecordError> {
        Err(key_error("None"))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<usize, RecordError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<usize, RecordError> {
        Err(key_error("()"))
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<usize, RecordError> {
        Err(key_error(name))
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<usize, RecordError> {
        self.text(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<usize, RecordError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _value: &T,
    ) -> Result<usize, RecordError> {
        Err(key_error(variant))
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, RecordError> {
        Err(key_error("a sequence"))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, RecordError> {
        Err(key_error("a tuple"))
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, RecordError> {
        Err(key_error(name))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, RecordError> {
        Err(key_error(variant))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, RecordError> {
        Err(key_error("a map"))
    }
    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, RecordError> {
        Err(key_error(name))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, RecordError> {
        Err(key_error(variant))
    }
}

/// One item of a `Vec<u8>` given as a sequence: anything else is refused.
struct ByteSerializer;

fn byte_error(found: &str) -> RecordError {
    RecordError::new(format!("expected a byte (0 to 255), found {found}"))
}

impl ser::Serializer for ByteSerializer {
    type Ok = u8;
    type Error = RecordError;
    type SerializeSeq = Impossible<u8, RecordError>;
    type SerializeTuple = Impossible<u8, RecordError>;
    type SerializeTupleStruct = Impossible<u8, RecordError>;
    type SerializeTupleVariant = Impossible<u8, RecordError>;
    type SerializeMap = Impossible<u8, RecordError>;
    type SerializeStruct = Impossible<u8, RecordError>;
    type SerializeStructVariant = Impossible<u8, RecordError>;

    fn serialize_bool(self, _v: bool) -> Result<u8, RecordError> {
        Err(byte_error("a boolean"))
    }
    fn serialize_i8(self, v: i8) -> Result<u8, RecordError> {
        self.serialize_i128(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<u8, RecordError> {
        self.serialize_i128(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<u8, RecordError> {
        self.serialize_i128(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<u8, RecordError> {
        self.serialize_i128(v.into())
    }
    fn serialize_i128(self, v: i128) -> Result<u8, RecordError> {
        u8::try_from(v).map_err(|_| byte_error(&v.to_string()))
    }
    fn serialize_u8(self, v: u8) -> Result<u8, RecordError> {
        Ok(v)
    }
    fn serialize_u16(self, v: u16) -> Result<u8, RecordError> {
        self.serialize_i128(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<u8, RecordError> {
        self.serialize_i128(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<u8, RecordError> {
        self.serialize_i128(v.into())
    }
    fn serialize_f32(self, _v: f32) -> Result<u8, RecordError> {
        Err(byte_error("a float"))
    }
    fn serialize_f64(self, _v: f64) -> Result<u8, RecordError> {
        Err(byte_error("a float"))
    }
    fn serialize_char(self, _v: char) -> Result<u8, RecordError> {
        Err(byte_error("a char"))
    }
    fn serialize_str(self, _v: &str) -> Result<u8, RecordError> {
        Err(byte_error("a string"))
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<u8, RecordError> {
        Err(byte_error("bytes"))
    }
    fn serialize_none(self) -> Result<u8, RecordError> {
        Err(byte_error("None"))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<u8, RecordError> {
        Err(byte_error("an Option"))
    }
    fn serialize_unit(self) -> Result<u8, RecordError> {
        Err(byte_error("()"))
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<u8, RecordError> {
        Err(byte_error(name))
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<u8, RecordError> {
        Err(byte_error(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<u8, RecordError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _value: &T,
    ) -> Result<u8, RecordError> {
        Err(byte_error(variant))
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, RecordError> {
        Err(byte_error("a sequence"))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, RecordError> {
        Err(byte_error("a tuple"))
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, RecordError> {
        Err(byte_error(name))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, RecordError> {
        Err(byte_error(variant))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, RecordError> {
        Err(byte_error("a map"))
    }
    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, RecordError> {
        Err(byte_error(name))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, RecordError> {
        Err(byte_error(variant))
    }
}

#[cfg(test)]
#[path = "serialize_tests.rs"]
mod tests;
