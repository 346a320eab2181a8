//! The shape of a schema as schema resolution sees it: types with their full
//! names, aliases and defaults, named types shared by index so recursive
//! schemas stay finite. Logical types are dropped here, because Avro
//! resolves them by their underlying type.
//!
//! The text has already been accepted by the schema parser, so this module
//! only reads what resolution needs; anything it cannot read is still an
//! `InvalidSchema` error rather than a panic.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// Index of a type in [`Shape::types`].
pub(super) type TypeId = usize;

pub(super) struct Shape {
    pub types: Vec<Type>,
    pub root: TypeId,
}

pub(super) enum Type {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Array(TypeId),
    Map(TypeId),
    Union(Vec<TypeId>),
    Record(Named, Vec<Field>),
    Enum(Named, Vec<String>, Option<String>),
    Fixed(Named, u64),
}

/// The identity of a record, enum or fixed type.
pub(super) struct Named {
    pub full_name: String,
    /// Full names, resolved against the type's own namespace.
    pub aliases: Vec<String>,
}

impl Named {
    pub fn short_name(&self) -> &str {
        short(&self.full_name)
    }
}

pub(super) struct Field {
    pub name: String,
    pub aliases: Vec<String>,
    pub has_default: bool,
    pub type_id: TypeId,
}

pub(super) fn short(full_name: &str) -> &str {
    full_name.rsplit('.').next().unwrap_or(full_name)
}

impl Shape {
    pub fn parse(text: &str) -> Result<Shape, String> {
        let json: Value = serde_json::from_str(text).map_err(|err| format!("not JSON: {err}"))?;
        let mut reader = ShapeReader::default();
        let root = reader.read(&json, None)?;
        Ok(Shape {
            types: reader.types,
            root,
        })
    }

    /// How a producing team would name a type: `string`, `Facility`,
    /// `array of string`, `union [null, string]`.
    pub fn describe(&self, type_id: TypeId) -> String {
        match &self.types[type_id] {
            Type::Null => "null".into(),
            Type::Boolean => "boolean".into(),
            Type::Int => "int".into(),
            Type::Long => "long".into(),
            Type::Float => "float".into(),
            Type::Double => "double".into(),
            Type::Bytes => "bytes".into(),
            Type::String => "string".into(),
            Type::Array(items) => format!("array of {}", self.describe(*items)),
            Type::Map(values) => format!("map of {}", self.describe(*values)),
            Type::Union(branches) => {
                let names: Vec<String> = branches.iter().map(|b| self.describe(*b)).collect();
                format!("union [{}]", names.join(", "))
            }
            Type::Record(named, _) => format!("record {}", named.short_name()),
            Type::Enum(named, ..) => format!("enum {}", named.short_name()),
            Type::Fixed(named, size) => format!("fixed {} ({size} bytes)", named.short_name()),
        }
    }

    /// A union branch as a team would name it: `null`, `string`, `Facility`.
    pub fn branch_name(&self, type_id: TypeId) -> String {
        match &self.types[type_id] {
            Type::Record(named, _) | Type::Enum(named, ..) | Type::Fixed(named, _) => {
                named.short_name().to_string()
            }
            _ => self.describe(type_id),
        }
    }
}

#[derive(Default)]
struct ShapeReader {
    types: Vec<Type>,
    named: HashMap<String, TypeId>,
}

impl ShapeReader {
    fn push(&mut self, ty: Type) -> TypeId {
        self.types.push(ty);
        self.types.len() - 1
    }

    fn read(&mut self, json: &Value, namespace: Option<&str>) -> Result<TypeId, String> {
        match json {
            Value::String(name) => self.read_name(name, namespace),
            Value::Array(branches) => {
                let branches = branches
                    .iter()
                    .map(|branch| self.read(branch, namespace))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(self.push(Type::Union(branches)))
            }
            Value::Object(object) => self.read_object(object, namespace),
            other => Err(format!("{other} is not a type")),
        }
    }

    fn read_name(&mut self, name: &str, namespace: Option<&str>) -> Result<TypeId, String> {
        let primitive = match name {
            "null" => Type::Null,
            "boolean" => Type::Boolean,
            "int" => Type::Int,
            "long" => Type::Long,
            "float" => Type::Float,
            "double" => Type::Double,
            "bytes" => Type::Bytes,
            "string" => Type::String,
            _ => {
                let qualified = full_name(name, namespace);
                return self
                    .named
                    .get(&qualified)
                    .or_else(|| self.named.get(name))
                    .copied()
                    .ok_or_else(|| format!("type {name:?} is not defined before its use"));
            }
        };
        Ok(self.push(primitive))
    }

    fn read_object(
        &mut self,
        object: &Map<String, Value>,
        namespace: Option<&str>,
    ) -> Result<TypeId, String> {
        let Some(kind) = object.get("type") else {
            return Err("a type object has no \"type\"".into());
        };
        let Some(kind) = kind.as_str() else {
            // `{"type": {...}}` or `{"type": [...]}`: the attributes around it
            // (a logical type, documentation) do not change resolution.
            return self.read(kind, namespace);
        };
        match kind {
            "array" => {
                let items = object.get("items").ok_or("an array has no \"items\"")?;
                let items = self.read(items, namespace)?;
                Ok(self.push(Type::Array(items)))
            }
            "map" => {
                let values = object.get("values").ok_or("a map has no \"values\"")?;
                let values = self.read(values, namespace)?;
                Ok(self.push(Type::Map(values)))
            }
            "record" | "error" => self.read_record(object, namespace),
            "enum" => {
                let named = named(object, namespace)?;
                let symbols = strings(object.get("symbols"));
                let default = object
                    .get("default")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                self.define(named, |named| Type::Enum(named, symbols, default))
            }
            "fixed" => {
                let named = named(object, namespace)?;
                let size = object
                    .get("size")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| format!("fixed {} has no size", named.full_name))?;
                self.define(named, |named| Type::Fixed(named, size))
            }
            // A primitive or a reference written as an object, often with a logical type.
            name => self.read_name(name, namespace),
        }
    }

    fn define(&mut self, named: Named, make: impl FnOnce(Named) -> Type) -> Result<TypeId, String> {
        let full_name = named.full_name.clone();
        let type_id = self.push(make(named));
        self.named.insert(full_name, type_id);
        Ok(type_id)
    }

    fn read_record(
        &mut self,
        object: &Map<String, Value>,
        namespace: Option<&str>,
    ) -> Result<TypeId, String> {
        let named = named(object, namespace)?;
        let own_namespace = namespace_of(&named.full_name).map(str::to_owned);

        // The record is known by name before its fields are read, so a field
        // may refer back to it (a linked list, a tree).
        let full_name = named.full_name.clone();
        let type_id = self.push(Type::Record(named, Vec::new()));
        self.named.insert(full_name.clone(), type_id);

        let mut fields = Vec::new();
        for field in object
            .get("fields")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("record {full_name} has no fields"))?
        {
            let name = field
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("a field of record {full_name} has no name"))?;
            let field_type = field
                .get("type")
                .ok_or_else(|| format!("field {name} of record {full_name} has no type"))?;
            let field_type = self.read(field_type, own_namespace.as_deref())?;
            fields.push(Field {
                name: name.to_string(),
                aliases: strings(field.get("aliases")),
                has_default: field.get("default").is_some(),
                type_id: field_type,
            });
        }
        if let Type::Record(_, slot) = &mut self.types[type_id] {
            *slot = fields;
        }
        Ok(type_id)
    }
}

fn named(object: &Map<String, Value>, enclosing: Option<&str>) -> Result<Named, String> {
    let name = object
        .get("name")
        .and_then(Value::as_str)
        .ok_or("a named type has no name")?;
    let namespace = match object.get("namespace").and_then(Value::as_str) {
        Some(namespace) => Some(namespace),
        None => enclosing,
    };
    let qualified = full_name(name, namespace);
    let own_namespace = namespace_of(&qualified);
    let aliases = strings(object.get("aliases"))
        .iter()
        .map(|alias| full_name(alias, own_namespace))
        .collect();
    Ok(Named {
        full_name: qualified,
        aliases,
    })
}

fn full_name(name: &str, namespace: Option<&str>) -> String {
    match namespace.filter(|ns| !ns.is_empty()) {
        Some(namespace) if !name.contains('.') => format!("{namespace}.{name}"),
        _ => name.to_string(),
    }
}

fn namespace_of(full_name: &str) -> Option<&str> {
    full_name.rsplit_once('.').map(|(namespace, _)| namespace)
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
