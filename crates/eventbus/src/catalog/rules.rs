//! The rules of the `Event` entity, field by field, as the Event Bus's
//! onboarding page gives them.

use super::yaml::{Mark, Node, Scalar};
use super::{Diagnostic, Report, Severity};

pub const API_VERSION: &str = "backstage.io/v1alpha1";
pub const KIND: &str = "Event";
pub const LIFECYCLES: [&str; 4] = ["experimental", "development", "production", "deprecated"];
pub const ENVIRONMENTS: [&str; 2] = ["development", "production"];

/// The longest entity name the catalog takes.
const MAX_NAME_LENGTH: usize = 63;
/// The longest Kafka topic name.
const MAX_TOPIC_LENGTH: usize = 249;

const ROOT_FIELDS: [&str; 6] = [
    "apiVersion",
    "kind",
    "metadata",
    "spec",
    "relations",
    "status",
];
const METADATA_FIELDS: [&str; 10] = [
    "name",
    "description",
    "title",
    "links",
    "namespace",
    "labels",
    "annotations",
    "tags",
    "uid",
    "etag",
];
const LINK_FIELDS: [&str; 4] = ["url", "title", "icon", "type"];
const SPEC_FIELDS: [&str; 8] = [
    "type",
    "lifecycle",
    "removalDate",
    "domain",
    "sourceSystems",
    "topics",
    "forwarders",
    "retention",
];
/// Filled in by the catalog itself; a file that sets them is refused.
const CATALOG_SPEC_FIELDS: [(&str, &str); 3] = [
    (
        "schema",
        "the catalog reads the schema from the schema registry",
    ),
    (
        "schemaCompatibilityMode",
        "the catalog reads the compatibility mode from the schema registry",
    ),
    (
        "averageDailyEvents",
        "the catalog counts the events on the topic itself",
    ),
];

pub fn check_documents(documents: &[Node]) -> Report {
    let mut checker = Checker::default();
    let is_event = |document: &&Node| document.get("kind").and_then(Node::text) == Some(KIND);
    let events: Vec<&Node> = documents.iter().filter(is_event).collect();
    match (events.as_slice(), documents) {
        // Other entities may share the file with the Event; they are not
        // ours to judge.
        ([_, ..], _) => events.iter().for_each(|event| checker.entity(event)),
        // A file of one entity is meant to be the Event, whatever its kind says.
        ([], [only]) => checker.entity(only),
        ([], _) => {
            let mark = documents
                .first()
                .map_or(Mark { line: 1, column: 1 }, |d| d.mark);
            checker.error(
                mark,
                "",
                "no Event entity in this file",
                format!("add an entity with `apiVersion: {API_VERSION}` and `kind: {KIND}`"),
            );
        }
    }
    let mut diagnostics = checker.diagnostics;
    diagnostics.sort_by_key(|d| (d.line, d.column));
    Report { diagnostics }
}

#[derive(Default)]
struct Checker {
    diagnostics: Vec<Diagnostic>,
}

impl Checker {
    fn push(
        &mut self,
        severity: Severity,
        mark: Mark,
        path: &str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.diagnostics.push(Diagnostic {
            severity,
            line: mark.line,
            column: mark.column,
            path: path.to_owned(),
            message: message.into(),
            fix: fix.into(),
        });
    }

    fn error(
        &mut self,
        mark: Mark,
        path: &str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.push(Severity::Error, mark, path, message, fix);
    }

    fn warning(
        &mut self,
        mark: Mark,
        path: &str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.push(Severity::Warning, mark, path, message, fix);
    }

    fn entity(&mut self, root: &Node) {
        if !self.mapping(root, "", "the file") {
            return;
        }
        self.keys(root, "", &ROOT_FIELDS, |_| None);
        self.exact(root, "apiVersion", "apiVersion", API_VERSION);
        self.exact(root, "kind", "kind", KIND);
        if let Some(metadata) = self.required(root, "metadata", "metadata", "a mapping") {
            self.metadata(metadata);
        }
        if let Some(spec) = self.required(root, "spec", "spec", "a mapping") {
            self.spec(spec);
        }
    }

    fn metadata(&mut self, metadata: &Node) {
        if !self.mapping(metadata, "metadata", "metadata") {
            return;
        }
        self.keys(metadata, "metadata", &METADATA_FIELDS, |_| None);
        if let Some(name) = self.required_text(metadata, "name", "metadata.name") {
            self.name(metadata.get("name").map_or(metadata.mark, |n| n.mark), name);
        }
        self.required_text(metadata, "description", "metadata.description");
        self.required_text(metadata, "title", "metadata.title");
        if let Some(links) = metadata.get("links") {
            self.each_item(links, "metadata.links", |checker, link, path| {
                if !checker.mapping(link, path, "each link") {
                    return;
                }
                checker.keys(link, path, &LINK_FIELDS, |_| None);
                if let Some(url) = checker.required_text(link, "url", &format!("{path}.url"))
                    && !(url.starts_with("https://") || url.starts_with("http://"))
                {
                    let mark = link.get("url").map_or(link.mark, |n| n.mark);
                    checker.error(
                        mark,
                        &format!("{path}.url"),
                        format!("{url:?} is not a web address"),
                        "give the full address, starting with https://",
                    );
                }
                checker.required_text(link, "title", &format!("{path}.title"));
            });
        }
    }

    fn name(&mut self, mark: Mark, name: &str) {
        let words_ok = !name.is_empty()
            && name.split('-').all(|word| {
                !word.is_empty()
                    && word
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            });
        if !words_ok {
            let suggestion = suggested_name(name);
            self.error(
                mark,
                "metadata.name",
                format!(
                    "{name:?} is not lowercase words joined by hyphens; the name is used in \
                     catalog URLs"
                ),
                format!("use a name such as {suggestion:?}"),
            );
        } else if name.len() > MAX_NAME_LENGTH {
            self.error(
                mark,
                "metadata.name",
                format!(
                    "the name is {} characters long; the catalog takes at most {MAX_NAME_LENGTH}",
                    name.len()
                ),
                "shorten it",
            );
        }
    }

    fn spec(&mut self, spec: &Node) {
        if !self.mapping(spec, "spec", "spec") {
            return;
        }
        self.keys(spec, "spec", &SPEC_FIELDS, |key| {
            CATALOG_SPEC_FIELDS
                .iter()
                .find(|(field, _)| *field == key)
                .map(|(_, why)| *why)
        });
        self.exact(spec, "type", "spec.type", "event");
        let lifecycle = self.one_of(spec, "lifecycle", "spec.lifecycle", &LIFECYCLES);
        if let Some(removal) = spec.get("removalDate") {
            if lifecycle.is_some_and(|l| l != "deprecated") {
                self.error(
                    removal.mark,
                    "spec.removalDate",
                    "a removal date is only for a deprecated event",
                    "remove removalDate, or set `lifecycle: deprecated`",
                );
            }
            self.date(removal, "spec.removalDate");
        }
        self.required_text(spec, "domain", "spec.domain");
        if let Some(systems) = self.required(spec, "sourceSystems", "spec.sourceSystems", "a list")
        {
            self.non_empty_list(systems, "spec.sourceSystems", "source system");
            self.each_item(systems, "spec.sourceSystems", |checker, system, path| {
                checker.record_of_text(
                    system,
                    path,
                    "each source system",
                    &["systemName", "teamName", "productOwner"],
                );
            });
        }
        if let Some(topics) = self.required(spec, "topics", "spec.topics", "a list") {
            self.non_empty_list(topics, "spec.topics", "topic");
            self.each_item(topics, "spec.topics", |checker, topic, path| {
                checker.topic(topic, path);
            });
        }
        if let Some(forwarders) = spec.get("forwarders") {
            self.each_item(forwarders, "spec.forwarders", |checker, forwarder, path| {
                checker.record_of_text(
                    forwarder,
                    path,
                    "each forwarder",
                    &["systemName", "teamName"],
                );
            });
        }
        if let Some(retention) = spec.get("retention") {
            self.retention(retention);
        }
    }

    fn topic(&mut self, topic: &Node, path: &str) {
        if !self.mapping(topic, path, "each topic") {
            return;
        }
        self.keys(topic, path, &["topic", "environment"], |key| {
            (key == "brokerAddresses")
                .then_some("the catalog fills in the broker addresses for each environment")
        });
        if let Some(name) = self.required_text(topic, "topic", &format!("{path}.topic")) {
            let valid = name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
            let mark = topic.get("topic").map_or(topic.mark, |n| n.mark);
            if !valid || name.len() > MAX_TOPIC_LENGTH {
                self.error(
                    mark,
                    &format!("{path}.topic"),
                    format!("{name:?} is not a Kafka topic name"),
                    format!(
                        "use letters, digits, '.', '_' and '-' only, at most {MAX_TOPIC_LENGTH} \
                         characters"
                    ),
                );
            }
        }
        self.one_of(
            topic,
            "environment",
            &format!("{path}.environment"),
            &ENVIRONMENTS,
        );
    }

    fn retention(&mut self, retention: &Node) {
        let path = "spec.retention";
        match retention.scalar() {
            Some(Scalar::Int(days)) if days > 0 => {}
            Some(Scalar::Int(days)) => self.error(
                retention.mark,
                path,
                format!("{days} is not a number of days the topic can keep events"),
                "give a positive whole number of days, or leave retention out for the default \
                 of 7",
            ),
            Some(Scalar::Text(text)) if text.parse::<i64>().is_ok() => self.error(
                retention.mark,
                path,
                format!("retention is the text {text:?}, not a number"),
                format!("remove the quotes: `retention: {text}`"),
            ),
            _ => self.error(
                retention.mark,
                path,
                format!(
                    "retention is {}, not a whole number of days",
                    retention.describe()
                ),
                "give a positive whole number of days, or leave retention out for the default \
                 of 7",
            ),
        }
    }

    fn date(&mut self, node: &Node, path: &str) {
        let text = match node.scalar() {
            Some(Scalar::Text(text)) => text,
            _ => {
                self.error(
                    node.mark,
                    path,
                    format!("the date is {}", node.describe()),
                    "write the date as YYYY-MM-DD",
                );
                return;
            }
        };
        if !is_calendar_date(text) {
            self.error(
                node.mark,
                path,
                format!("{text:?} is not a date"),
                "write a real date as YYYY-MM-DD, such as 2027-06-30",
            );
        }
    }

    // Shared shapes.

    fn mapping(&mut self, node: &Node, path: &str, what: &str) -> bool {
        if node.entries().is_some() {
            return true;
        }
        self.error(
            node.mark,
            path,
            format!(
                "{what} must be a mapping of keys to values, but is {}",
                node.describe()
            ),
            "indent its fields under it as `key: value` lines",
        );
        false
    }

    /// Reports unknown keys (a warning) and keys the catalog fills in (an
    /// error, with `forbidden`'s reason), and keys given twice.
    fn keys(
        &mut self,
        node: &Node,
        path: &str,
        known: &[&str],
        forbidden: impl Fn(&str) -> Option<&'static str>,
    ) {
        let Some(entries) = node.entries() else {
            return;
        };
        for (index, entry) in entries.iter().enumerate() {
            let field = join(path, &entry.key);
            if entries[..index].iter().any(|e| e.key == entry.key) {
                self.error(
                    entry.key_mark,
                    &field,
                    format!("`{}` is given twice", entry.key),
                    "keep one of them",
                );
            } else if let Some(why) = forbidden(&entry.key) {
                self.error(
                    entry.key_mark,
                    &field,
                    format!("`{}` must not be in the file: {why}", entry.key),
                    format!("remove `{}`", entry.key),
                );
            } else if !known.contains(&entry.key.as_str()) {
                let hint = closest(&entry.key, known)
                    .map(|k| format!("did you mean `{k}`? "))
                    .unwrap_or_default();
                self.warning(
                    entry.key_mark,
                    &field,
                    format!("`{}` is not a field the catalog knows here", entry.key),
                    format!("{hint}remove it or correct its spelling"),
                );
            }
        }
    }

    fn required<'a>(
        &mut self,
        node: &'a Node,
        key: &str,
        path: &str,
        what: &str,
    ) -> Option<&'a Node> {
        let found = node.get(key);
        if found.is_none() {
            self.error(
                node.mark,
                path,
                format!("`{key}` is missing"),
                format!("add `{key}:` with {what}"),
            );
        }
        found
    }

    /// A required field whose value is non-empty text.
    fn required_text<'a>(&mut self, node: &'a Node, key: &str, path: &str) -> Option<&'a str> {
        let value = self.required(node, key, path, "a value")?;
        match value.scalar() {
            Some(Scalar::Text(text)) if !text.trim().is_empty() => Some(text),
            Some(Scalar::Text(_)) | Some(Scalar::Null) => {
                self.error(
                    value.mark,
                    path,
                    format!("`{key}` is empty"),
                    format!("give `{key}` a value"),
                );
                None
            }
            _ => {
                self.error(
                    value.mark,
                    path,
                    format!("`{key}` must be text, but is {}", value.describe()),
                    "write it as text (put it in quotes if it looks like a number or a boolean)",
                );
                None
            }
        }
    }

    fn exact(&mut self, node: &Node, key: &str, path: &str, expected: &str) {
        if let Some(value) = self.required_text(node, key, path)
            && value != expected
        {
            let mark = node.get(key).map_or(node.mark, |n| n.mark);
            self.error(
                mark,
                path,
                format!("`{key}` is {value:?}; an Event entity has {expected:?}"),
                format!("set `{key}: {expected}`"),
            );
        }
    }

    fn one_of<'a>(
        &mut self,
        node: &'a Node,
        key: &str,
        path: &str,
        allowed: &[&str],
    ) -> Option<&'a str> {
        let value = self.required_text(node, key, path)?;
        if allowed.contains(&value) {
            return Some(value);
        }
        let mark = node.get(key).map_or(node.mark, |n| n.mark);
        let hint = closest(value, allowed)
            .map(|k| format!("did you mean {k}? "))
            .unwrap_or_default();
        self.error(
            mark,
            path,
            format!(
                "{value:?} is not a valid {key}; it is one of {}",
                allowed.join(", ")
            ),
            format!("{hint}use one of {}", allowed.join(", ")),
        );
        None
    }

    fn non_empty_list(&mut self, node: &Node, path: &str, what: &str) {
        if node.items().is_some_and(<[Node]>::is_empty) {
            self.error(
                node.mark,
                path,
                "the list is empty",
                format!("add at least one {what}"),
            );
        }
    }

    fn each_item(
        &mut self,
        node: &Node,
        path: &str,
        mut check: impl FnMut(&mut Self, &Node, &str),
    ) {
        let Some(items) = node.items() else {
            self.error(
                node.mark,
                path,
                format!("{path} must be a list, but is {}", node.describe()),
                "write each entry on its own line starting with `- `",
            );
            return;
        };
        for (index, item) in items.iter().enumerate() {
            check(self, item, &format!("{path}[{index}]"));
        }
    }

    fn record_of_text(&mut self, node: &Node, path: &str, what: &str, fields: &[&str]) {
        if !self.mapping(node, path, what) {
            return;
        }
        self.keys(node, path, fields, |_| None);
        for field in fields {
            self.required_text(node, field, &format!("{path}.{field}"));
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// A YYYY-MM-DD date that exists on the calendar.
fn is_calendar_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return false;
    };
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return false;
    }
    let (Ok(year), Ok(month), Ok(day)) = (
        year.parse::<u32>(),
        month.parse::<u32>(),
        day.parse::<u32>(),
    ) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days_in_month).contains(&day)
}

/// The known word nearest to `word`, if it is a likely misspelling.
fn closest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    known
        .iter()
        .map(|k| {
            let k_lower = k.to_ascii_lowercase();
            // A short form ("prod", "dev") counts as close.
            let distance = if lower.len() >= 3 && k_lower.starts_with(&lower) {
                1
            } else {
                edit_distance(&lower, &k_lower)
            };
            (distance, *k)
        })
        .filter(|(distance, k)| *distance <= 2.max(k.len() / 4))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// `name` made into lowercase words joined by hyphens.
fn suggested_name(name: &str) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && previous_lower && !out.ends_with('-') {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            previous_lower = false;
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "my-event".into()
    } else {
        trimmed.to_owned()
    }
}
