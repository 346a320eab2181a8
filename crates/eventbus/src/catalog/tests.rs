//! The catalog rules over good and bad files, and the template as the
//! onboarding page prints it.

use super::{Severity, SourceSystem, StarterEvent, StarterTopic, validate};

const GOOD: &str = include_str!("../../../../examples/catalog/catalog-info.yaml");

/// The Event template exactly as the Event Bus's onboarding page prints it,
/// with `title` and the other keys of each list item indented too deep.
const PRINTED_TEMPLATE: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Event
metadata:
    name: event-name
    description: Event description.
    title: Event Name
    links:
    - url: https://sample-slack-link.com
        title: Event Producer Slack Channel
    - url: https://sample-link.com
        title: Event Documentation
spec:
    type: event
    lifecycle: production
    domain: health
";

fn errors(text: &str) -> Vec<(String, String)> {
    validate(text)
        .errors()
        .map(|d| (d.path.clone(), d.message.clone()))
        .collect()
}

#[test]
fn the_example_file_is_valid() {
    let report = validate(GOOD);
    assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
}

#[test]
fn the_printed_template_gets_a_fix_for_every_misindented_key() {
    let report = validate(PRINTED_TEMPLATE);
    let [diagnostic, second] = report.diagnostics.as_slice() else {
        panic!("{:#?}", report.diagnostics);
    };
    assert_eq!((second.line, second.column), (11, 9));
    assert!(
        second.message.contains("than `url` on line 10"),
        "{}",
        second.message
    );
    assert_eq!(diagnostic.severity, Severity::Error);
    assert_eq!((diagnostic.line, diagnostic.column), (9, 9));
    assert!(
        diagnostic
            .message
            .contains("`title` is indented deeper than `url` on line 8"),
        "{}",
        diagnostic.message
    );
    assert!(
        diagnostic.fix.contains("move `title` left to column 7"),
        "{}",
        diagnostic.fix
    );
}

#[test]
fn the_whole_printed_template_is_fixed_in_one_pass() {
    // The whole template, copied from the onboarding page as printed.
    let template = include_str!("printed-template.yaml");
    let report = validate(template);
    let keys: Vec<(usize, &str)> = report
        .diagnostics
        .iter()
        .map(|d| (d.line, d.message.split('`').nth(1).unwrap_or("")))
        .collect();
    assert_eq!(
        keys,
        [
            (9, "title"),
            (11, "title"),
            (18, "teamName"),
            (19, "productOwner"),
            (22, "environment"),
            (24, "environment"),
            (27, "teamName"),
        ],
        "{:#?}",
        report.diagnostics
    );
    // Moving each key where the fix says gives a valid entity.
    let mut lines: Vec<String> = template.lines().map(str::to_owned).collect();
    for d in &report.diagnostics {
        let after = d.fix.rsplit("column ").next().unwrap();
        let column: usize = after.split(',').next().unwrap().parse().unwrap();
        let line = &mut lines[d.line - 1];
        *line = format!("{}{}", " ".repeat(column - 1), line.trim_start());
    }
    let fixed = lines.join("\n");
    let report = validate(&fixed);
    assert!(
        report.diagnostics.is_empty(),
        "{fixed}\n{:#?}",
        report.diagnostics
    );
}

#[test]
fn other_syntax_errors_point_at_their_line() {
    let report = validate("apiVersion: backstage.io/v1alpha1\nkind: [Event\nmetadata: {}\n");
    let [diagnostic] = report.diagnostics.as_slice() else {
        panic!("{:#?}", report.diagnostics);
    };
    assert!(diagnostic.message.starts_with("not valid YAML"));
    assert!(diagnostic.line >= 2, "{diagnostic:?}");
}

#[test]
fn every_problem_is_reported_with_its_line_and_path() {
    let bad = GOOD
        .replace("environment: production", "environment: staging")
        .replace("name: appointment-booked", "name: Appointment_Booked")
        .replace("lifecycle: production", "lifecycle: live")
        .replace("retention: 20", "retention: \"20\"")
        .replace("      productOwner: Jane Doe\n", "");
    let report = validate(&bad);
    let found: Vec<&str> = report.errors().map(|d| d.path.as_str()).collect();
    assert_eq!(
        found,
        [
            "metadata.name",
            "spec.lifecycle",
            "spec.sourceSystems[0].productOwner",
            "spec.topics[1].environment",
            "spec.retention",
        ],
        "{:#?}",
        report.diagnostics
    );
    let environment = report
        .errors()
        .find(|d| d.path == "spec.topics[1].environment")
        .unwrap();
    let line = bad.lines().position(|l| l.contains("staging")).unwrap() + 1;
    assert_eq!(environment.line, line);
    assert!(environment.fix.contains("development, production"));
    let name = report.errors().find(|d| d.path == "metadata.name").unwrap();
    assert!(name.fix.contains("\"appointment-booked\""), "{}", name.fix);
    let retention = report
        .errors()
        .find(|d| d.path == "spec.retention")
        .unwrap();
    assert!(
        retention.fix.contains("remove the quotes"),
        "{}",
        retention.fix
    );
}

#[test]
fn fields_the_catalog_fills_in_are_refused_with_the_reason() {
    let bad = GOOD
        .replace(
            "  retention: 20\n",
            "  retention: 20\n  schema: '{}'\n  averageDailyEvents: 40\n",
        )
        .replace(
            "      environment: development\n",
            "      environment: development\n      brokerAddresses: [b-1:9098]\n",
        );
    let found = errors(&bad);
    let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "spec.topics[0].brokerAddresses",
            "spec.schema",
            "spec.averageDailyEvents",
        ],
        "{found:#?}"
    );
    assert!(found[1].1.contains("schema registry"), "{}", found[1].1);
}

#[test]
fn removal_dates_belong_to_deprecated_events_and_must_exist() {
    let dated = GOOD.replace(
        "  domain: health\n",
        "  domain: health\n  removalDate: 2027-02-30\n",
    );
    let found = errors(&dated);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].1.contains("only for a deprecated event"));
    assert!(found[1].1.contains("\"2027-02-30\" is not a date"));

    let deprecated = dated
        .replace("lifecycle: production", "lifecycle: deprecated")
        .replace("2027-02-30", "2027-02-28");
    assert!(errors(&deprecated).is_empty(), "{:#?}", errors(&deprecated));
}

#[test]
fn missing_sections_and_wrong_shapes_are_named() {
    let found = errors("apiVersion: backstage.io/v1alpha1\nkind: Event\nmetadata: just text\n");
    assert_eq!(
        found.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        // A missing section is reported where its parent starts.
        ["spec", "metadata"],
        "{found:#?}"
    );
    let wrong_kind = errors(&GOOD.replace("kind: Event", "kind: Evnt"));
    assert_eq!(wrong_kind.len(), 1, "{wrong_kind:#?}");
    assert_eq!(wrong_kind[0].0, "kind");
    let empty_topics = errors(&GOOD.replace(
        "  topics:\n    - topic: appointments.booked.dev\n      environment: development\n    - topic: appointments.booked\n      environment: production\n",
        "  topics: []\n",
    ));
    assert_eq!(
        empty_topics,
        [("spec.topics".to_owned(), "the list is empty".to_owned())]
    );
}

#[test]
fn unknown_keys_are_warnings_with_a_spelling_hint() {
    let report =
        validate(&GOOD.replace("  domain: health\n", "  domain: health\n  retension: 9\n"));
    assert!(!report.has_errors(), "{:#?}", report.diagnostics);
    let [warning] = report.diagnostics.as_slice() else {
        panic!("{:#?}", report.diagnostics);
    };
    assert_eq!(warning.severity, Severity::Warning);
    assert!(
        warning.fix.contains("did you mean `retention`?"),
        "{}",
        warning.fix
    );
}

#[test]
fn other_entities_in_the_file_are_left_alone() {
    let component = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: Scheduler\nspec:\n  type: service\n";
    assert!(
        validate(&format!("{component}---\n{GOOD}"))
            .diagnostics
            .is_empty()
    );
    // Alone, the other entity is taken for a mistyped Event.
    assert_eq!(errors(component)[0].0, "kind");
}

#[test]
fn the_starter_file_is_valid_and_quotes_what_needs_it() {
    let starter = StarterEvent {
        name: "appointment-booked".into(),
        title: "Appointment Booked: #1".into(),
        description: "yes".into(),
        domain: "health".into(),
        lifecycle: "development".into(),
        source_systems: vec![SourceSystem {
            system_name: "VistA".into(),
            team_name: "Scheduling".into(),
            product_owner: "Jane Doe".into(),
        }],
        topics: vec![StarterTopic {
            topic: "appointments.booked.dev".into(),
            environment: "development".into(),
        }],
    };
    let yaml = starter.to_yaml();
    let report = validate(&yaml);
    assert!(
        report.diagnostics.is_empty(),
        "{yaml}\n{:#?}",
        report.diagnostics
    );
    assert!(yaml.contains("title: \"Appointment Booked: #1\""), "{yaml}");
    assert!(yaml.contains("description: \"yes\""), "{yaml}");
}
