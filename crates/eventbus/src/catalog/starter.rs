//! A starter `catalog-info.yaml` for `eventbus catalog init`: the Event
//! entity with the fields a producing team knows, correctly indented.

use std::fmt::Write as _;

/// The fields of a new Event entity.
#[derive(Clone, Debug, Default)]
pub struct StarterEvent {
    pub name: String,
    pub title: String,
    pub description: String,
    pub domain: String,
    /// One of experimental, development, production, deprecated.
    pub lifecycle: String,
    pub source_systems: Vec<SourceSystem>,
    pub topics: Vec<StarterTopic>,
}

#[derive(Clone, Debug, Default)]
pub struct SourceSystem {
    pub system_name: String,
    pub team_name: String,
    pub product_owner: String,
}

#[derive(Clone, Debug, Default)]
pub struct StarterTopic {
    pub topic: String,
    /// development or production.
    pub environment: String,
}

impl StarterEvent {
    /// The entity as YAML, ready to commit as `catalog-info.yaml`.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        // Lets YAML language servers check the file as it is edited.
        let _ = writeln!(
            out,
            "# yaml-language-server: $schema=https://example.invalid/eventbus/schemas/catalog-info.schema.json"
        );
        let _ = writeln!(out, "apiVersion: {}", super::rules::API_VERSION);
        let _ = writeln!(out, "kind: {}", super::rules::KIND);
        let _ = writeln!(out, "metadata:");
        let _ = writeln!(out, "  name: {}", quoted(&self.name));
        let _ = writeln!(out, "  title: {}", quoted(&self.title));
        let _ = writeln!(out, "  description: {}", quoted(&self.description));
        let _ = writeln!(out, "spec:");
        let _ = writeln!(out, "  type: event");
        let _ = writeln!(out, "  lifecycle: {}", quoted(&self.lifecycle));
        let _ = writeln!(out, "  domain: {}", quoted(&self.domain));
        let _ = writeln!(out, "  sourceSystems:");
        for system in &self.source_systems {
            let _ = writeln!(out, "    - systemName: {}", quoted(&system.system_name));
            let _ = writeln!(out, "      teamName: {}", quoted(&system.team_name));
            let _ = writeln!(out, "      productOwner: {}", quoted(&system.product_owner));
        }
        let _ = writeln!(out, "  topics:");
        for topic in &self.topics {
            let _ = writeln!(out, "    - topic: {}", quoted(&topic.topic));
            let _ = writeln!(out, "      environment: {}", quoted(&topic.environment));
        }
        out
    }
}

/// `text` as a YAML scalar: plain where that reads back as the same text,
/// double-quoted otherwise.
fn quoted(text: &str) -> String {
    let plain_safe = !text.is_empty()
        && text == text.trim()
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with(':')
        && !text.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c))
        // YAML 1.1 readers take these for booleans.
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "y" | "yes" | "n" | "no" | "on" | "off"
        )
        && super::yaml::Node {
            value: super::yaml::Value::Scalar {
                text: text.to_owned(),
                quoted: false,
            },
            mark: super::yaml::Mark { line: 1, column: 1 },
        }
        .text()
        .is_some();
    if plain_safe {
        return text.to_owned();
    }
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
