//! `cargo xtask bench [--quick] [--rounds N] [--events N]`: every binding
//! measured beside the incumbents of its ecosystem, in one run, and the
//! report written from what was measured.
//!
//! Each binding's own benchmark scripts do the measuring and append JSON
//! lines to one file; this module builds what they need, runs them in
//! interleaved rounds (the order rotates each round, so a busy moment on the
//! machine does not always hit the same binding), and hands the lines to
//! [`crate::bench_report`]. A full run uses release builds and writes
//! `docs/performance.md`; `--quick` uses the debug builds `cargo xtask test`
//! made, small counts and one round, and writes under `target/bench/` only,
//! since its figures say that the benchmarks work, not how fast anything is.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::bench_report::{self, Measurement, Run};
use crate::test::repo_root;

struct Settings {
    quick: bool,
    rounds: usize,
    events: usize,
    latency_samples: usize,
    /// Seconds each encoder runs per round.
    encode_seconds: f64,
    /// The cargo profile of the bindings' native code.
    profile: &'static str,
}

impl Settings {
    fn parse(args: &[String]) -> Result<Settings, String> {
        let quick = args.iter().any(|a| a == "--quick");
        let mut settings = if quick {
            Settings {
                quick,
                rounds: 1,
                events: 2_000,
                latency_samples: 50,
                encode_seconds: 0.2,
                profile: "dev",
            }
        } else {
            Settings {
                quick,
                rounds: 5,
                events: 50_000,
                latency_samples: 300,
                encode_seconds: 1.0,
                profile: "release",
            }
        };
        let mut rest = args.iter().filter(|a| *a != "--quick");
        while let Some(arg) = rest.next() {
            let mut number = |name: &str| -> Result<usize, String> {
                rest.next()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| format!("{name} takes a whole number"))
            };
            match arg.as_str() {
                "--rounds" => settings.rounds = number("--rounds")?.max(1),
                "--events" => settings.events = number("--events")?.max(100),
                other => {
                    return Err(format!(
                        "unknown bench option {other:?}; use --quick, --rounds N, --events N"
                    ));
                }
            }
        }
        Ok(settings)
    }
}

pub fn run(args: &[String]) -> Result<(), String> {
    let settings = Settings::parse(args)?;
    let started = Instant::now();
    let stack = crate::stack::ensure_up()?;
    let env: Vec<(String, String)> = stack
        .vars()
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    let out_dir = repo_root().join("target/bench");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("cannot make target/bench: {e}"))?;
    let results = out_dir.join("results.jsonl");
    let _ = std::fs::remove_file(&results);

    build(&settings)?;
    encode_benchmarks(&settings, &env, &results)?;
    produce_benchmarks(&settings, &env, &results)?;

    let measurements = read_results(&results)?;
    let run = Run {
        quick: settings.quick,
        rounds: settings.rounds,
        events: settings.events,
        latency_samples: settings.latency_samples,
        machine: machine_description(),
        seconds: started.elapsed().as_secs_f64(),
    };
    let written = if settings.quick {
        bench_report::write(
            &run,
            &measurements,
            &out_dir.join("performance.md"),
            &out_dir,
        )?
    } else {
        let docs = repo_root().join("docs");
        bench_report::write(
            &run,
            &measurements,
            &docs.join("performance.md"),
            &docs.join("performance"),
        )?
    };
    println!("{}", bench_report::summary(&measurements));
    println!("==> wrote {}", written.display());
    Ok(())
}

/// The native code of every binding, in the chosen profile.
fn build(settings: &Settings) -> Result<(), String> {
    let profile_env = [("EVENTBUS_CARGO_PROFILE", settings.profile)];
    step(
        "the Ruby extension",
        Command::new("rake")
            .args(["--directory", "bindings/ruby", "compile"])
            .envs(profile_env),
    )?;
    step(
        "the Python module",
        Command::new("bash")
            .args(["bindings/python/run", "develop"])
            .envs(profile_env),
    )?;
    step(
        "the Node addon",
        Command::new("bash")
            .args(["bindings/node/run", "build"])
            .envs(profile_env),
    )?;
    step(
        "the eventbus command, which makes the benchmarks' topics",
        Command::new("cargo").args(["build", "--quiet", "--package", "eventbus-cli"]),
    )?;
    step(
        "the C library",
        Command::new("cargo").args([
            "build",
            "--quiet",
            "--package",
            "eventbus-c",
            "--profile",
            settings.profile,
        ]),
    )?;
    c_produce_program(settings)
}

/// Compiles bindings/c/bench/produce.c against the library just built. The
/// library's soname (libeventbus.so.0.1) is laid out beside it first, as an
/// install would.
fn c_produce_program(settings: &Settings) -> Result<(), String> {
    let built = repo_root()
        .join("target")
        .join(profile_dir(settings.profile))
        .join("libeventbus.so");
    let lib_dir = repo_root().join("target/bench/c-lib");
    std::fs::create_dir_all(&lib_dir)
        .map_err(|e| format!("cannot make {}: {e}", lib_dir.display()))?;
    for name in ["libeventbus.so", "libeventbus.so.0.1"] {
        let link = lib_dir.join(name);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&built, &link)
            .map_err(|e| format!("cannot link {}: {e}", link.display()))?;
    }
    step(
        "the C produce benchmark program",
        Command::new("cc")
            .args(["-std=c11", "-O2", "-Wall", "-Wextra", "-o"])
            .arg(c_produce_binary())
            .arg("bindings/c/bench/produce.c")
            .arg("-Ibindings/c/include")
            .arg(format!("-L{}", lib_dir.display()))
            .arg("-leventbus")
            .arg(format!("-Wl,-rpath,{}", lib_dir.display())),
    )
}

fn c_produce_binary() -> PathBuf {
    repo_root().join("target/bench/c-produce")
}

fn encode_benchmarks(
    settings: &Settings,
    env: &[(String, String)],
    results: &Path,
) -> Result<(), String> {
    let seconds = settings.encode_seconds.to_string();
    let rounds = settings.rounds.max(3).to_string();
    let json = [("EVENTBUS_BENCH_JSON", results.display().to_string())];

    // The core beside apache-avro, through criterion.
    let criterion_time = if settings.quick { "0.3" } else { "3" };
    step(
        "Rust: the core beside apache-avro (criterion)",
        Command::new("cargo")
            .args([
                "bench",
                "--quiet",
                "--package",
                "eventbus",
                "--bench",
                "encode",
            ])
            .args(["--profile", bench_profile(settings)])
            .args(["--", "--warm-up-time", "0.2", "--measurement-time"])
            .arg(criterion_time),
    )?;
    criterion_results(results)?;

    step(
        "Ruby: Serializer#encode",
        Command::new("ruby")
            .args(["-Ilib", "bench/encode.rb", &seconds, &rounds])
            .current_dir(repo_root().join("bindings/ruby"))
            .envs(json.clone()),
    )?;
    step(
        "Python: Serializer.encode beside confluent-kafka and fastavro",
        Command::new(python_tools())
            .args([
                "bench/encode.py",
                "--repeats",
                &rounds,
                "--seconds",
                &seconds,
            ])
            .current_dir(repo_root().join("bindings/python"))
            .envs(env.iter().cloned())
            .envs(json.clone()),
    )?;
    step(
        "Node: Serializer.encode beside avsc and confluent-schema-registry",
        Command::new("node")
            .args(["bench/encode.mjs", &rounds, &seconds])
            .current_dir(repo_root().join("bindings/node"))
            .envs(env.iter().cloned())
            .envs(json.clone()),
    )?;
    let library = repo_root()
        .join("target")
        .join(profile_dir(settings.profile))
        .join("libeventbus.so");
    step(
        "C: the C API beside the core",
        Command::new("cargo")
            .args([
                "bench",
                "--quiet",
                "--package",
                "eventbus-c",
                "--bench",
                "encode",
            ])
            .args(["--profile", bench_profile(settings)])
            .arg("--")
            .arg(&library)
            // Its rounds are 20 ms a path, paired: many more of them.
            .arg((settings.rounds.max(3) * 8 + 1).to_string())
            .envs(json),
    )
}

/// One producing run of every binding per round, in a rotating order.
fn produce_benchmarks(
    settings: &Settings,
    env: &[(String, String)],
    results: &Path,
) -> Result<(), String> {
    let bindings = ["rust", "ruby", "python", "node", "c"];
    let events = settings.events.to_string();
    let samples = settings.latency_samples.to_string();
    let schema = repo_root().join("examples/schemas/appointment.avsc");
    let event = std::fs::read_to_string(repo_root().join("examples/records/appointment.json"))
        .map_err(|e| format!("cannot read the appointment example: {e}"))?;
    for round in 0..settings.rounds {
        for offset in 0..bindings.len() {
            let binding = bindings[(round + offset) % bindings.len()];
            let topic = format!("bench-{binding}-{}", unique_suffix());
            let value_id = crate::stack::register(&format!("{topic}-value"), &schema)?;
            // The broker creates a topic on its first message, and librdkafka
            // asks again for an unknown topic only every 100 ms: made first,
            // the topic does not count in anyone's start-up.
            step_output(
                &format!("creating topic {topic}"),
                Command::new(repo_root().join("target/debug/eventbus"))
                    .args(["produce", "--quiet", "--topic", &topic])
                    .args(["--value-schema-id", &value_id.to_string()])
                    .args(["--value", &event])
                    .envs(env.iter().cloned()),
            )?;
            let script_env = [
                ("TOPIC", topic.clone()),
                ("VALUE_SCHEMA_ID", value_id.to_string()),
                ("EVENTS", events.clone()),
                ("LATENCY_SAMPLES", samples.clone()),
                ("EVENTBUS_BENCH_JSON", results.display().to_string()),
            ];
            let label = format!(
                "produce, round {} of {}: {binding}",
                round + 1,
                settings.rounds
            );
            let mut command = match binding {
                "rust" => {
                    let mut command = Command::new("cargo");
                    command
                        .args(["bench", "--quiet", "--package", "eventbus-stack-tests"])
                        .args(["--bench", "produce", "--profile", bench_profile(settings)])
                        .args(["--", &events, "1"]);
                    command
                }
                "ruby" => script("ruby", &["-Ilib", "bench/produce.rb"], "bindings/ruby"),
                "python" => {
                    let python = python_tools();
                    let mut command = Command::new(python);
                    command
                        .arg("bench/produce.py")
                        .current_dir(repo_root().join("bindings/python"));
                    command
                }
                "node" => script("node", &["bench/produce.mjs"], "bindings/node"),
                _ => {
                    let mut command = Command::new(c_produce_binary());
                    command.arg("examples/records/appointment.json");
                    command
                }
            };
            command.envs(env.iter().cloned()).envs(script_env);
            if binding == "rust" {
                step(&label, &mut command)?;
            } else {
                // The scripts print their lines; the file gets them here.
                let output = step_output(&label, &mut command)?;
                append(results, &output)?;
            }
        }
    }
    Ok(())
}

fn script(program: &str, args: &[&str], folder: &str) -> Command {
    let mut command = Command::new(program);
    command.args(args).current_dir(repo_root().join(folder));
    command
}

fn python_tools() -> PathBuf {
    repo_root().join("target/python-tools/bin/python")
}

/// criterion's `bench` profile is release; the quick run shares the tests'
/// debug build instead.
fn bench_profile(settings: &Settings) -> &'static str {
    if settings.quick { "dev" } else { "bench" }
}

fn profile_dir(profile: &str) -> &str {
    if profile == "dev" { "debug" } else { profile }
}

fn unique_suffix() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{nanos}")
}

/// criterion's median estimates for the core's groups, as JSON lines.
fn criterion_results(results: &Path) -> Result<(), String> {
    let criterion = repo_root().join("target/criterion");
    let mut lines = String::new();
    for event in ["user", "appointment", "visit-summary"] {
        let group = criterion.join(event);
        let Ok(entries) = std::fs::read_dir(&group) else {
            continue;
        };
        for entry in entries.flatten() {
            let estimates = entry.path().join("new/estimates.json");
            let Ok(text) = std::fs::read_to_string(&estimates) else {
                continue;
            };
            let parsed: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", estimates.display()))?;
            let Some(ns) = parsed["median"]["point_estimate"].as_f64() else {
                continue;
            };
            let function = std::fs::read_to_string(entry.path().join("new/benchmark.json"))
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|b| b["function_id"].as_str().map(str::to_owned))
                .unwrap_or_else(|| entry.file_name().to_string_lossy().into_owned());
            let implementation = if function.starts_with("eventbus") {
                format!("eventbus {} core, {function}", env!("CARGO_PKG_VERSION"))
            } else {
                format!("{function} (apache-avro 0.22)")
            };
            let line = serde_json::json!({
                "kind": "encode",
                "binding": "rust",
                "event": event,
                "implementation": implementation,
                "events_per_second": 1e9 / ns,
            });
            lines.push_str(&line.to_string());
            lines.push('\n');
        }
    }
    append(results, &lines)
}

fn append(results: &Path, lines: &str) -> Result<(), String> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(results)
        .map_err(|e| format!("cannot open {}: {e}", results.display()))?;
    file.write_all(lines.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", results.display()))
}

fn read_results(results: &Path) -> Result<Vec<Measurement>, String> {
    let text = std::fs::read_to_string(results)
        .map_err(|e| format!("no results in {}: {e}", results.display()))?;
    let mut measurements = Vec::new();
    for line in text.lines().filter(|l| l.trim_start().starts_with('{')) {
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("a result line is not JSON ({e}): {line}"))?;
        measurements.push(Measurement::from_json(&value));
    }
    Ok(measurements)
}

fn step(description: &str, command: &mut Command) -> Result<(), String> {
    println!("==> bench: {description}");
    let status = command
        .current_dir_if_unset()
        .status()
        .map_err(|e| format!("{description}: cannot start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{description} failed ({status})"))
    }
}

fn step_output(description: &str, command: &mut Command) -> Result<String, String> {
    println!("==> bench: {description}");
    let output = command
        .current_dir_if_unset()
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("{description}: cannot start: {e}"))?;
    if !output.status.success() {
        return Err(format!("{description} failed ({})", output.status));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Commands run from the repository root unless they chose a folder.
trait RootByDefault {
    fn current_dir_if_unset(&mut self) -> &mut Self;
}

impl RootByDefault for Command {
    fn current_dir_if_unset(&mut self) -> &mut Self {
        if self.get_current_dir().is_none() {
            self.current_dir(repo_root());
        }
        self
    }
}

/// librdkafka's version, from the rdkafka-sys crate's (`4.9.0+2.12.1`)
/// in Cargo.lock: every binding links the one it builds.
fn librdkafka_version() -> String {
    let lock = std::fs::read_to_string(repo_root().join("Cargo.lock")).unwrap_or_default();
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"rdkafka-sys\"" {
            let version = lines.next().unwrap_or("");
            if let Some((_, librdkafka)) = version.trim_end_matches('"').split_once('+') {
                return format!("{librdkafka}, built from source by rdkafka-sys for every binding");
            }
        }
    }
    "unknown".into()
}

/// Cores, processor, memory and the versions of what was measured.
fn machine_description() -> Vec<(String, String)> {
    let first_line = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .ok()
            .map(|o| {
                let text = String::from_utf8_lossy(&o.stdout).into_owned()
                    + &String::from_utf8_lossy(&o.stderr);
                text.lines().next().unwrap_or("").trim().to_owned()
            })
            .unwrap_or_else(|| "not found".into())
    };
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .unwrap_or("unknown")
        .trim()
        .to_owned();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or("unknown".into(), |kb| format!("{:.0} GiB", kb / 1048576.0));
    vec![
        ("processor".into(), format!("{cores} cores, {model}")),
        ("memory".into(), memory),
        ("rustc".into(), first_line("rustc", &["--version"])),
        ("ruby".into(), first_line("ruby", &["--version"])),
        (
            "python".into(),
            first_line(&python_tools().display().to_string(), &["--version"]),
        ),
        ("node".into(), first_line("node", &["--version"])),
        ("librdkafka".into(), librdkafka_version()),
        (
            "broker and registry".into(),
            "the local stack's Kafka 4.1 and Apicurio Registry 3.3, on the same machine".into(),
        ),
    ]
}
