//! YAML read into a tree that remembers where each node starts, so that a
//! problem found in a catalog file can name its line and column.
//!
//! Scalars keep their text and whether they were quoted: under YAML's core
//! schema an unquoted `20` is a number and an unquoted `true` a boolean,
//! while `"20"` is text, and the catalog's rules care about the difference.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A place in the file: line and column, both counted from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    pub line: usize,
    pub column: usize,
}

impl Mark {
    fn from_marker(marker: &Marker) -> Self {
        Mark {
            line: marker.line(),
            column: marker.col() + 1,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    pub mark: Mark,
}

#[derive(Clone, Debug)]
pub enum Value {
    Map(Vec<Entry>),
    Seq(Vec<Node>),
    Scalar { text: String, quoted: bool },
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: String,
    pub key_mark: Mark,
    pub value: Node,
}

/// What a scalar means under YAML's core schema.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(&'a str),
}

impl Node {
    pub fn scalar(&self) -> Option<Scalar<'_>> {
        let Value::Scalar { text, quoted } = &self.value else {
            return None;
        };
        if *quoted {
            return Some(Scalar::Text(text));
        }
        Some(match text.as_str() {
            "" | "~" | "null" | "Null" | "NULL" => Scalar::Null,
            "true" | "True" | "TRUE" => Scalar::Bool(true),
            "false" | "False" | "FALSE" => Scalar::Bool(false),
            _ => {
                if let Ok(n) = text.parse::<i64>() {
                    Scalar::Int(n)
                } else if looks_like_float(text) {
                    text.parse::<f64>()
                        .map_or(Scalar::Text(text), Scalar::Float)
                } else {
                    Scalar::Text(text)
                }
            }
        })
    }

    /// The text of a scalar that is text (not a number, boolean or null).
    pub fn text(&self) -> Option<&str> {
        match self.scalar()? {
            Scalar::Text(text) => Some(text),
            _ => None,
        }
    }

    pub fn entries(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn items(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The value under `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()?
            .iter()
            .find(|entry| entry.key == key)
            .map(|entry| &entry.value)
    }

    /// The node as JSON, the way YAML tools hand it to a JSON Schema.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as Json;
        match &self.value {
            Value::Map(entries) => Json::Object(
                entries
                    .iter()
                    .map(|entry| (entry.key.clone(), entry.value.to_json()))
                    .collect(),
            ),
            Value::Seq(items) => Json::Array(items.iter().map(Node::to_json).collect()),
            Value::Scalar { .. } => match self.scalar() {
                Some(Scalar::Null) | None => Json::Null,
                Some(Scalar::Bool(flag)) => Json::Bool(flag),
                Some(Scalar::Int(n)) => Json::from(n),
                Some(Scalar::Float(n)) => {
                    serde_json::Number::from_f64(n).map_or(Json::Null, Json::Number)
                }
                Some(Scalar::Text(text)) => Json::String(text.to_owned()),
            },
        }
    }

    /// What kind of YAML value this is, for messages.
    pub fn describe(&self) -> &'static str {
        match &self.value {
            Value::Map(_) => "a mapping",
            Value::Seq(_) => "a list",
            Value::Scalar { .. } => match self.scalar() {
                Some(Scalar::Null) => "empty",
                Some(Scalar::Bool(_)) => "a boolean",
                Some(Scalar::Int(_)) => "a whole number",
                Some(Scalar::Float(_)) => "a number",
                _ => "text",
            },
        }
    }
}

fn looks_like_float(text: &str) -> bool {
    let body = text.trim_start_matches(['+', '-']);
    matches!(body, ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN")
        || (body
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
            && body
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')))
}

/// A YAML syntax error, with where the parser stopped.
#[derive(Clone, Debug)]
pub struct SyntaxError {
    pub mark: Mark,
    pub problem: String,
}

/// Every document in `text`, in order.
pub fn parse(text: &str) -> Result<Vec<Node>, SyntaxError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, true).map_err(|err| SyntaxError {
        mark: Mark::from_marker(err.marker()),
        problem: err.info().to_owned(),
    })?;
    if let Some(problem) = builder.problem {
        return Err(problem);
    }
    Ok(builder.documents)
}

/// Something being built: a mapping waiting for its next key or value, or
/// a sequence.
enum Open {
    Map {
        mark: Mark,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<(String, Mark)>,
    },
    Seq {
        mark: Mark,
        anchor: usize,
        items: Vec<Node>,
    },
}

#[derive(Default)]
struct Builder {
    open: Vec<Open>,
    documents: Vec<Node>,
    anchors: HashMap<usize, Node>,
    problem: Option<SyntaxError>,
}

impl Builder {
    /// Puts a finished node where it belongs: a document, an item, a key or
    /// a value.
    fn place(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.open.last_mut() {
            None => self.documents.push(node),
            Some(Open::Seq { items, .. }) => items.push(node),
            Some(Open::Map { entries, key, .. }) => match key.take() {
                Some((key, key_mark)) => entries.push(Entry {
                    key,
                    key_mark,
                    value: node,
                }),
                None => match &node.value {
                    Value::Scalar { text, .. } => *key = Some((text.clone(), node.mark)),
                    _ => {
                        self.problem.get_or_insert(SyntaxError {
                            mark: node.mark,
                            problem: "a key must be plain text, not a list or a mapping".into(),
                        });
                    }
                },
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, marker: Marker) {
        let mark = Mark::from_marker(&marker);
        match event {
            Event::Scalar(text, style, anchor, _tag) => {
                let quoted = !matches!(style, TScalarStyle::Plain);
                let node = Node {
                    value: Value::Scalar { text, quoted },
                    mark,
                };
                self.place(node, anchor);
            }
            Event::SequenceStart(anchor, _tag) => self.open.push(Open::Seq {
                mark,
                anchor,
                items: Vec::new(),
            }),
            Event::MappingStart(anchor, _tag) => self.open.push(Open::Map {
                mark,
                anchor,
                entries: Vec::new(),
                key: None,
            }),
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.open.pop() {
                    Some(Open::Seq {
                        mark,
                        anchor,
                        items,
                    }) => (
                        Node {
                            value: Value::Seq(items),
                            mark,
                        },
                        anchor,
                    ),
                    Some(Open::Map {
                        mark,
                        anchor,
                        entries,
                        ..
                    }) => (
                        Node {
                            value: Value::Map(entries),
                            mark,
                        },
                        anchor,
                    ),
                    None => return,
                };
                self.place(node, anchor);
            }
            Event::Alias(anchor) => match self.anchors.get(&anchor).cloned() {
                Some(node) => self.place(node, 0),
                None => {
                    self.problem.get_or_insert(SyntaxError {
                        mark,
                        problem: "an alias names an anchor that is not defined".into(),
                    });
                }
            },
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}
