//! The benchmark report: measurements grouped and reduced to medians and
//! spreads, ratios to the incumbents measured in the same run, markdown
//! tables, and SVG bar charts drawn here (plain SVG text; nothing to install).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The produce row every other is compared with: raw rdkafka sending the
/// event's bytes encoded beforehand (tests/benches/produce.rs names it).
const RAW_RDKAFKA: &str = "raw rdkafka, pre-encoded bytes";

/// One JSON line a benchmark script wrote.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// "encode", or "produce" for lines without a kind.
    pub kind: String,
    pub binding: String,
    /// The example event, for encode lines.
    pub event: String,
    pub implementation: String,
    pub metrics: BTreeMap<String, f64>,
    /// A figure quoted from elsewhere, not measured in this run.
    pub quoted: bool,
}

impl Measurement {
    pub fn from_json(value: &serde_json::Value) -> Self {
        let text = |key: &str| value[key].as_str().unwrap_or("").to_owned();
        let metrics = value
            .as_object()
            .map(|object| {
                object
                    .iter()
                    .filter_map(|(k, v)| v.as_f64().map(|n| (k.clone(), n)))
                    .collect()
            })
            .unwrap_or_default();
        Measurement {
            kind: value["kind"].as_str().unwrap_or("produce").to_owned(),
            binding: text("binding"),
            event: text("event"),
            implementation: text("implementation"),
            metrics,
            quoted: value["quoted"].as_bool().unwrap_or(false),
        }
    }

    fn is_ours(&self) -> bool {
        self.implementation.starts_with("eventbus")
            || self.implementation.starts_with("libeventbus")
    }
}

/// How the run was made.
pub struct Run {
    pub quick: bool,
    pub rounds: usize,
    pub events: usize,
    pub latency_samples: usize,
    pub machine: Vec<(String, String)>,
    pub seconds: f64,
}

/// The measurements of one implementation, over the rounds.
struct Series<'a> {
    first: &'a Measurement,
    values: BTreeMap<String, Vec<f64>>,
}

impl Series<'_> {
    fn median(&self, metric: &str) -> Option<f64> {
        let mut values = self.values.get(metric)?.clone();
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied()
    }

    fn spread(&self, metric: &str) -> Option<(f64, f64)> {
        let values = self.values.get(metric)?;
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Some((min, max))
    }
}

/// Groups by kind, binding, event and implementation, in first-seen order.
fn series<'a>(measurements: &'a [Measurement], kind: &str) -> Vec<Series<'a>> {
    let mut groups: Vec<Series<'a>> = Vec::new();
    for m in measurements.iter().filter(|m| m.kind == kind) {
        let found = groups.iter_mut().find(|s| {
            s.first.binding == m.binding
                && s.first.event == m.event
                && s.first.implementation == m.implementation
        });
        let group = match found {
            Some(group) => group,
            None => {
                groups.push(Series {
                    first: m,
                    values: BTreeMap::new(),
                });
                groups.last_mut().expect("just pushed")
            }
        };
        // An encode line's median is one process's; the spread shown is
        // across the lines of the run.
        for (metric, value) in &m.metrics {
            group.values.entry(metric.clone()).or_default().push(*value);
        }
    }
    groups
}

fn rate(n: f64) -> String {
    let whole = n.round() as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn spread_text(series: &Series<'_>, metric: &str) -> String {
    match series.spread(metric) {
        Some((min, max)) if series.values[metric].len() > 1 => {
            format!("{}–{}", rate(min), rate(max))
        }
        _ => "one run".into(),
    }
}

/// Writes the markdown report to `report` and its charts into `charts`;
/// returns the report's path.
pub fn write(
    run: &Run,
    measurements: &[Measurement],
    report: &Path,
    charts: &Path,
) -> Result<PathBuf, String> {
    std::fs::create_dir_all(charts)
        .map_err(|e| format!("cannot make {}: {e}", charts.display()))?;
    let chart_link = |name: &str| {
        let relative = charts
            .strip_prefix(report.parent().unwrap_or(Path::new(".")))
            .unwrap_or(charts);
        if relative.as_os_str().is_empty() {
            name.to_owned()
        } else {
            format!("{}/{name}", relative.display())
        }
    };
    let mut md = String::new();
    let _ = writeln!(md, "# Performance\n");
    let _ = writeln!(
        md,
        "Every binding measured beside the incumbents of its ecosystem, in one run of \
         `cargo xtask bench` ({} interleaved round{} of producing, {} events each, {} \
         latency samples; {:.0} s in all){}. Machines here are shared and noisy: read the \
         medians and the ratios, which come from the same run, rather than the absolute \
         figures. Rerun with `cargo xtask bench` (release builds, this page) or `cargo \
         xtask bench --quick` (debug builds, a smoke run that writes `target/bench/`).\n",
        run.rounds,
        if run.rounds == 1 { "" } else { "s" },
        run.events,
        run.latency_samples,
        run.seconds,
        if run.quick {
            "; a --quick run of debug builds, so the figures only show that every \
             benchmark works"
        } else {
            ""
        }
    );
    let _ = writeln!(md, "| machine | |\n|---|---|");
    for (name, value) in &run.machine {
        let _ = writeln!(md, "| {name} | {value} |");
    }

    // Encoding.
    let encode = series(measurements, "encode");
    let _ = writeln!(
        md,
        "\n## Encoding\n\nA record to Confluent-framed Avro bytes, in process. Each \
         binding's encoders get the same record, the binding's natural value, and write \
         the same bytes, checked before timing. Where an incumbent cannot take a logical \
         type as that value, it gets what its users hand it: apache-avro's rows take the \
         Avro carriers (numbers for dates and timestamps); avsc and \
         confluent-schema-registry take the same record through the logical types a \
         service writes for them (`bindings/node/bench/logical-types.mjs`), and one more \
         avsc row takes the record already converted to Avro carriers. \"vs eventbus\" is \
         how many times faster eventbus is than that row, in the same binding and run.\n"
    );
    for event in ["user", "appointment", "visit-summary"] {
        let rows: Vec<&Series<'_>> = encode.iter().filter(|s| s.first.event == event).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(
            md,
            "### {event}\n\n| binding | implementation | events/s (median) | spread | vs eventbus |\n|---|---|---|---|---|"
        );
        let mut bars = Vec::new();
        for row in &rows {
            let Some(median) = row.median("events_per_second") else {
                continue;
            };
            let ours = rows
                .iter()
                .find(|r| r.first.binding == row.first.binding && r.first.is_ours())
                .and_then(|r| r.median("events_per_second"));
            let versus = match (row.first.is_ours(), ours) {
                (false, Some(ours)) => format!("{:.2}x", ours / median),
                _ => "—".into(),
            };
            let spread = if row.first.quoted {
                "quoted, not measured here".into()
            } else {
                spread_text(row, "events_per_second")
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {spread} | {versus} |",
                row.first.binding,
                row.first.implementation,
                rate(median)
            );
            if !row.first.quoted {
                bars.push((
                    format!("{}: {}", row.first.binding, row.first.implementation),
                    median,
                    row.first.is_ours(),
                ));
            }
        }
        let name = format!("encode-{event}.svg");
        std::fs::write(
            charts.join(&name),
            bar_chart(&format!("Encoding {event}, events/s (log scale)"), &bars),
        )
        .map_err(|e| format!("cannot write {name}: {e}"))?;
        let _ = writeln!(md, "\n![encoding {event}]({})\n", chart_link(&name));
    }

    // Producing.
    let produce = series(measurements, "produce");
    if !produce.is_empty() {
        let raw = produce
            .iter()
            .find(|s| s.first.implementation == RAW_RDKAFKA)
            .and_then(|s| s.median("events_per_second"));
        let _ = writeln!(
            md,
            "## Producing\n\nThe appointment event (about 300 bytes) to the local broker through \
             each binding, encoding each event from the binding's value (the incumbents and raw \
             rdkafka send pre-encoded bytes; a second raw rdkafka row encodes each event with \
             the core's `Serializer` just before sending it, which is what encoding costs \
             there), `acks=all`, `linger.ms=5`. Throughput: {} events \
             produced, then flushed. Latency: {} produce-then-wait calls one after another \
             (`linger.ms` is part of it). Start-up: from creating the producer to the first \
             delivered event (schema fetch, connection, metadata). Memory: resident memory the \
             producer adds to its process, idle after its first delivery, and after the \
             throughput run.\n",
            run.events, run.latency_samples
        );
        let _ = writeln!(
            md,
            "| binding | implementation | events/s | spread | MB/s | vs raw rdkafka | p50 ms | p99 ms | start-up ms | idle MiB | loaded MiB |\n|---|---|---|---|---|---|---|---|---|---|---|"
        );
        let mut bars = Vec::new();
        for row in &produce {
            let cell = |metric: &str, digits: usize| {
                row.median(metric)
                    .map_or("—".into(), |v| format!("{v:.digits$}"))
            };
            let rate_median = row.median("events_per_second").unwrap_or(0.0);
            let versus = raw.map_or("—".into(), |raw| format!("{:.2}x", rate_median / raw));
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {versus} | {} | {} | {} | {} | {} |",
                row.first.binding,
                row.first.implementation,
                rate(rate_median),
                spread_text(row, "events_per_second"),
                cell("mb_per_second", 1),
                cell("latency_p50_ms", 2),
                cell("latency_p99_ms", 2),
                cell("startup_ms", 0),
                cell("idle_rss_mib", 1),
                cell("load_rss_mib", 1),
            );
            bars.push((
                format!("{}: {}", row.first.binding, row.first.implementation),
                rate_median,
                row.first.is_ours(),
            ));
        }
        std::fs::write(
            charts.join("produce.svg"),
            bar_chart("Producing, events/s (log scale)", &bars),
        )
        .map_err(|e| format!("cannot write produce.svg: {e}"))?;
        let _ = writeln!(md, "\n![producing]({})\n", chart_link("produce.svg"));
    }

    let _ = writeln!(
        md,
        "## Not measured here\n\n- Ruby's incumbents (avro_turf, the avro gem, rdkafka-ruby) cannot \
         be installed: the gem registry is not reachable from these machines. The avro_turf \
         figures above are quoted from the same kind of machine, and marked so.\n- C has no \
         incumbent producer library beside it here: its produce row compares with raw \
         rdkafka like every other.\n"
    );
    std::fs::write(report, md).map_err(|e| format!("cannot write {}: {e}", report.display()))?;
    Ok(report.to_path_buf())
}

/// One line per ratio, for the console.
pub fn summary(measurements: &[Measurement]) -> String {
    let mut out = String::from("ratios (eventbus / incumbent, same run):\n");
    let encode = series(measurements, "encode");
    for row in encode.iter().filter(|s| !s.first.is_ours()) {
        let ours = encode
            .iter()
            .find(|r| {
                r.first.binding == row.first.binding
                    && r.first.event == row.first.event
                    && r.first.is_ours()
            })
            .and_then(|r| r.median("events_per_second"));
        if let (Some(ours), Some(theirs)) = (ours, row.median("events_per_second")) {
            let _ = writeln!(
                out,
                "  encode {:<14} {:<7} vs {}: {:.2}x{}",
                row.first.event,
                row.first.binding,
                row.first.implementation,
                ours / theirs,
                if row.first.quoted {
                    " (quoted figure)"
                } else {
                    ""
                }
            );
        }
    }
    let produce = series(measurements, "produce");
    let raw = produce
        .iter()
        .find(|s| s.first.implementation == RAW_RDKAFKA)
        .and_then(|s| s.median("events_per_second"));
    for row in &produce {
        if let (Some(raw), Some(rate)) = (raw, row.median("events_per_second")) {
            let _ = writeln!(
                out,
                "  produce {:<7} {}: {:.2}x raw rdkafka",
                row.first.binding,
                row.first.implementation,
                rate / raw
            );
        }
    }
    out
}

/// A horizontal bar chart on a log scale: eventbus's bars dark, others light.
fn bar_chart(title: &str, bars: &[(String, f64, bool)]) -> String {
    const LABEL_WIDTH: f64 = 430.0;
    const BAR_WIDTH: f64 = 380.0;
    const ROW: f64 = 22.0;
    let height = 40.0 + ROW * bars.len() as f64 + 10.0;
    let max = bars
        .iter()
        .map(|b| b.1)
        .fold(1.0, f64::max)
        .log10()
        .ceil()
        .max(1.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{height}\" \
         viewBox=\"0 0 {w} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">{}</text>\n",
        escape(title),
        w = LABEL_WIDTH + BAR_WIDTH + 110.0,
    );
    for (index, (label, value, ours)) in bars.iter().enumerate() {
        let y = 36.0 + ROW * index as f64;
        let width = (value.max(1.0).log10() / max * BAR_WIDTH).max(1.0);
        let fill = if *ours { "#1f4e79" } else { "#9dc3e6" };
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{LABEL_WIDTH}\" y=\"{y}\" width=\"{width:.1}\" height=\"16\" fill=\"{fill}\"/>\
             <text x=\"{:.1}\" y=\"{}\">{}</text>",
            LABEL_WIDTH - 8.0,
            y + 12.0,
            escape(label),
            LABEL_WIDTH + width + 6.0,
            y + 12.0,
            rate(*value)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
