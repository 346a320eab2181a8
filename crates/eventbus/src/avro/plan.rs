//! Compiles an Avro schema once into a flat plan that the encoder and
//! decoder walk for every record.
//!
//! The plan resolves everything that does not depend on the value: named
//! type references, logical types, the full names used by wrapped union
//! values, and the encoded bytes of each field default. Nodes live in one
//! vector and refer to each other by index, which is how recursive types
//! (a record that contains itself) are represented.

use std::collections::HashMap;

use apache_avro::Schema;
use apache_avro::schema::{DecimalSchema, InnerDecimalSchema, Name, UuidSchema};

use super::datum::TimeUnit;
use super::logical::MAX_DECIMAL_PRECISION;

pub(crate) type NodeId = usize;

pub(crate) enum Node {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Fixed(Named),
    Enum {
        name: Box<str>,
        symbols: Box<[Box<str>]>,
    },
    Array(NodeId),
    Map(NodeId),
    Record(Record),
    Union(Box<[NodeId]>),
    Date,
    Time(TimeUnit),
    Timestamp(TimeUnit),
    LocalTimestamp(TimeUnit),
    Decimal {
        precision: usize,
        scale: u32,
        /// Set when the decimal is stored in a fixed rather than bytes.
        fixed: Option<Named>,
    },
    Uuid {
        /// Set when the UUID is stored as 16 raw bytes rather than text.
        fixed: Option<Named>,
    },
}

/// A named fixed type: its full name and size in bytes.
pub(crate) struct Named {
    pub name: Box<str>,
    pub size: usize,
}

pub(crate) struct Record {
    pub name: Box<str>,
    pub fields: Box<[Field]>,
}

pub(crate) struct Field {
    pub name: Box<str>,
    pub node: NodeId,
    /// The field's default, already encoded for its type.
    pub default: Option<Box<[u8]>>,
}

/// A schema compiled for encoding and decoding.
pub struct Plan {
    pub(crate) nodes: Vec<Node>,
    pub(crate) root: NodeId,
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan")
            .field("nodes", &self.nodes.len())
            .finish()
    }
}

impl Plan {
    /// Compiles `schema`. Fails with a reason for the parts of Avro this
    /// library does not carry (see `docs/ARCHITECTURE.md`).
    pub fn compile(schema: &Schema) -> Result<Plan, String> {
        let mut compiler = Compiler::default();
        let root = compiler.compile(schema, None)?;
        let mut plan = Plan {
            nodes: compiler.nodes,
            root,
        };
        plan.encode_defaults(compiler.defaults)?;
        Ok(plan)
    }

    /// Encodes each field default with the finished plan. A union default
    /// belongs to the union's first branch, as the Avro specification says.
    fn encode_defaults(&mut self, defaults: Vec<PendingDefault>) -> Result<(), String> {
        for pending in defaults {
            let Node::Record(record) = &self.nodes[pending.record] else {
                continue;
            };
            let field = &record.fields[pending.field];
            let (name, node) = (field.name.to_string(), field.node);
            let mut bytes = Vec::new();
            let encoded = match &self.nodes[node] {
                Node::Union(branches) => {
                    let first = branches[0];
                    super::encode::put_long(&mut bytes, 0);
                    self.encode_node(first, &&pending.value, &mut bytes)
                        .or_else(|_| {
                            bytes.clear();
                            self.encode_node(node, &&pending.value, &mut bytes)
                        })
                }
                _ => self.encode_node(node, &&pending.value, &mut bytes),
            };
            encoded.map_err(|err| {
                format!(
                    "default of field {name:?} does not fit its type: {}",
                    err.problem()
                )
            })?;
            if let Node::Record(record) = &mut self.nodes[pending.record] {
                record.fields[pending.field].default = Some(bytes.into_boxed_slice());
            }
        }
        Ok(())
    }

    /// A short description of a node's type for error messages.
    pub(crate) fn describe(&self, id: NodeId) -> String {
        match &self.nodes[id] {
            Node::Null => "null".into(),
            Node::Boolean => "boolean".into(),
            Node::Int => "int".into(),
            Node::Long => "long".into(),
            Node::Float => "float".into(),
            Node::Double => "double".into(),
            Node::Bytes => "bytes".into(),
            Node::String => "string".into(),
            Node::Fixed(named) => format!("fixed {} ({} bytes)", named.name, named.size),
            Node::Enum { name, .. } => format!("enum {name}"),
            Node::Array(_) => "array".into(),
            Node::Map(_) => "map".into(),
            Node::Record(record) => format!("record {}", record.name),
            Node::Union(branches) => {
                let names: Vec<String> = branches.iter().map(|&b| self.describe(b)).collect();
                format!("one of [{}]", names.join(", "))
            }
            Node::Date => "date".into(),
            Node::Time(unit) => format!("time-{}", unit_suffix(*unit)),
            Node::Timestamp(unit) => format!("timestamp-{}", unit_suffix(*unit)),
            Node::LocalTimestamp(unit) => format!("local-timestamp-{}", unit_suffix(*unit)),
            Node::Decimal {
                precision, scale, ..
            } => format!("decimal({precision},{scale})"),
            Node::Uuid { .. } => "uuid".into(),
        }
    }

    /// The name that selects a union branch in the wrapped JSON form
    /// (`{"string": "x"}`): a primitive's name, `array`, `map`, or a named
    /// type's full name. Logical types go by their underlying type.
    pub(crate) fn branch_name(&self, id: NodeId) -> &str {
        match &self.nodes[id] {
            Node::Null => "null",
            Node::Boolean => "boolean",
            Node::Int | Node::Date | Node::Time(TimeUnit::Millis) => "int",
            Node::Long | Node::Time(_) | Node::Timestamp(_) | Node::LocalTimestamp(_) => "long",
            Node::Float => "float",
            Node::Double => "double",
            Node::Bytes | Node::Decimal { fixed: None, .. } => "bytes",
            Node::String | Node::Uuid { fixed: None } => "string",
            Node::Fixed(named)
            | Node::Decimal {
                fixed: Some(named), ..
            }
            | Node::Uuid { fixed: Some(named) } => &named.name,
            Node::Enum { name, .. } => name,
            Node::Array(_) => "array",
            Node::Map(_) => "map",
            Node::Record(record) => &record.name,
            Node::Union(_) => "union",
        }
    }
}

fn unit_suffix(unit: TimeUnit) -> &'static str {
    match unit {
        TimeUnit::Millis => "millis",
        TimeUnit::Micros => "micros",
        TimeUnit::Nanos => "nanos",
    }
}

struct PendingDefault {
    record: NodeId,
    field: usize,
    value: serde_json::Value,
}

#[derive(Default)]
struct Compiler {
    nodes: Vec<Node>,
    named: HashMap<String, NodeId>,
    defaults: Vec<PendingDefault>,
}

impl Compiler {
    fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Reserves a slot for a named type before compiling its body, so that
    /// references to it from inside (recursion) resolve to the slot.
    fn reserve_named(&mut self, name: &Name, namespace: Option<&str>) -> (NodeId, String) {
        let fullname = name.fullname(namespace);
        let id = self.push(Node::Null);
        self.named.insert(fullname.clone(), id);
        (id, fullname)
    }

    fn compile(&mut self, schema: &Schema, namespace: Option<&str>) -> Result<NodeId, String> {
        let node = match schema {
            Schema::Null => Node::Null,
            Schema::Boolean => Node::Boolean,
            Schema::Int => Node::Int,
            Schema::Long => Node::Long,
            Schema::Float => Node::Float,
            Schema::Double => Node::Double,
            Schema::Bytes => Node::Bytes,
            Schema::String => Node::String,
            Schema::Date => Node::Date,
            Schema::TimeMillis => Node::Time(TimeUnit::Millis),
            Schema::TimeMicros => Node::Time(TimeUnit::Micros),
            Schema::TimestampMillis => Node::Timestamp(TimeUnit::Millis),
            Schema::TimestampMicros => Node::Timestamp(TimeUnit::Micros),
            Schema::TimestampNanos => Node::Timestamp(TimeUnit::Nanos),
            Schema::LocalTimestampMillis => Node::LocalTimestamp(TimeUnit::Millis),
            Schema::LocalTimestampMicros => Node::LocalTimestamp(TimeUnit::Micros),
            Schema::LocalTimestampNanos => Node::LocalTimestamp(TimeUnit::Nanos),
            Schema::Array(array) => {
                let items = self.compile(&array.items, namespace)?;
                Node::Array(items)
            }
            Schema::Map(map) => {
                let values = self.compile(&map.types, namespace)?;
                Node::Map(values)
            }
            Schema::Union(union) => {
                let branches = union
                    .variants()
                    .iter()
                    .map(|branch| self.compile(branch, namespace))
                    .collect::<Result<Vec<_>, _>>()?;
                if branches.is_empty() {
                    return Err("a union needs at least one branch".into());
                }
                Node::Union(branches.into_boxed_slice())
            }
            Schema::Decimal(decimal) => return self.decimal(decimal, namespace),
            Schema::Uuid(UuidSchema::String) => Node::Uuid { fixed: None },
            Schema::Uuid(UuidSchema::Fixed(fixed)) if fixed.size == 16 => {
                let (id, fullname) = self.reserve_named(&fixed.name, namespace);
                self.nodes[id] = Node::Uuid {
                    fixed: Some(Named {
                        name: fullname.into(),
                        size: 16,
                    }),
                };
                return Ok(id);
            }
            Schema::Uuid(_) => {
                return Err("the uuid logical type must annotate a string or a fixed of 16".into());
            }
            Schema::BigDecimal => {
                return Err("the big-decimal logical type is not part of the Avro \
                            specification; use decimal with a precision and scale"
                    .into());
            }
            Schema::Fixed(fixed) | Schema::Duration(fixed) => {
                let (id, fullname) = self.reserve_named(&fixed.name, namespace);
                self.nodes[id] = Node::Fixed(Named {
                    name: fullname.into(),
                    size: fixed.size,
                });
                return Ok(id);
            }
            Schema::Enum(enumeration) => {
                let (id, fullname) = self.reserve_named(&enumeration.name, namespace);
                self.nodes[id] = Node::Enum {
                    name: fullname.into(),
                    symbols: enumeration
                        .symbols
                        .iter()
                        .map(|s| s.as_str().into())
                        .collect(),
                };
                return Ok(id);
            }
            Schema::Record(record) => {
                let (id, fullname) = self.reserve_named(&record.name, namespace);
                let inner_namespace = record
                    .name
                    .namespace()
                    .map(str::to_owned)
                    .or_else(|| namespace.map(str::to_owned));
                let mut fields = Vec::with_capacity(record.fields.len());
                for (index, field) in record.fields.iter().enumerate() {
                    let node = self.compile(&field.schema, inner_namespace.as_deref())?;
                    if let Some(value) = &field.default {
                        self.defaults.push(PendingDefault {
                            record: id,
                            field: index,
                            value: value.clone(),
                        });
                    }
                    fields.push(Field {
                        name: field.name.as_str().into(),
                        node,
                        default: None,
                    });
                }
                self.nodes[id] = Node::Record(Record {
                    name: fullname.into(),
                    fields: fields.into_boxed_slice(),
                });
                return Ok(id);
            }
            Schema::Ref { name } => {
                let fullname = name.fullname(namespace);
                return self
                    .named
                    .get(&fullname)
                    .or_else(|| self.named.get(&name.fullname(None)))
                    .copied()
                    .ok_or_else(|| format!("unknown type reference {fullname}"));
            }
        };
        Ok(self.push(node))
    }

    fn decimal(
        &mut self,
        decimal: &DecimalSchema,
        namespace: Option<&str>,
    ) -> Result<NodeId, String> {
        if decimal.precision > MAX_DECIMAL_PRECISION {
            // Limitation: unscaled values are carried in an i128; a schema with a
            // wider decimal needs a big-integer path before it can be used.
            return Err(format!(
                "decimal precision {} is above the {MAX_DECIMAL_PRECISION} digits this library carries",
                decimal.precision
            ));
        }
        let scale = u32::try_from(decimal.scale).map_err(|_| "decimal scale is too large")?;
        let (id, fixed) = match &decimal.inner {
            InnerDecimalSchema::Bytes => (self.push(Node::Null), None),
            InnerDecimalSchema::Fixed(fixed) => {
                let (id, fullname) = self.reserve_named(&fixed.name, namespace);
                let named = Named {
                    name: fullname.into(),
                    size: fixed.size,
                };
                (id, Some(named))
            }
        };
        self.nodes[id] = Node::Decimal {
            precision: decimal.precision,
            scale,
            fixed,
        };
        Ok(id)
    }
}
