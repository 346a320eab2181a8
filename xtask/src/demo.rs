//! `cargo xtask demo`: the whole job on a fresh machine, in one command.
//!
//! Brings the local stack up, registers the example schemas the way the
//! Event Bus team would, produces the example events with the `eventbus`
//! command, reads them back decoded, and says what to try next.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::test::repo_root;

/// An example topic: its events, and the schemas of their values and keys.
struct Example {
    name: &'static str,
    events: &'static str,
    value_schema: &'static str,
    key_schema: &'static str,
}

const EXAMPLES: [Example; 2] = [
    Example {
        name: "appointments",
        events: "examples/records/appointments.jsonl",
        value_schema: "examples/schemas/appointment.avsc",
        key_schema: "examples/schemas/appointment-key.avsc",
    },
    Example {
        name: "users",
        events: "examples/records/users.jsonl",
        value_schema: "examples/schemas/user.avsc",
        key_schema: "examples/schemas/user-key.avsc",
    },
];

pub fn run(_args: &[String]) -> Result<(), String> {
    println!("==> starting the local Event Bus (Kafka and a schema registry)");
    let stack = crate::stack::ensure_up()?;

    println!("==> building the eventbus command");
    let status = Command::new("cargo")
        .args(["build", "--quiet", "--package", "eventbus-cli"])
        .current_dir(repo_root())
        .status()
        .map_err(|err| format!("cannot run cargo: {err}"))?;
    if !status.success() {
        return Err("building the eventbus command failed".into());
    }
    let eventbus = repo_root().join("target/debug/eventbus");

    // A fresh topic per run, so what is read back is exactly what this run sent.
    let run = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    for example in EXAMPLES {
        let topic = format!("demo-{}-{run}", example.name);
        let value_id = crate::stack::register(
            &format!("{topic}-value"),
            &repo_root().join(example.value_schema),
        )?;
        let key_id = crate::stack::register(
            &format!("{topic}-key"),
            &repo_root().join(example.key_schema),
        )?;
        println!(
            "\n==> registered {} as schema {value_id} and its key schema as {key_id}",
            example.value_schema
        );

        let events = std::fs::read_to_string(repo_root().join(example.events))
            .map_err(|err| format!("cannot read {}: {err}", example.events))?;
        let count = events.lines().filter(|l| !l.trim().is_empty()).count();
        let produce = [
            "produce",
            "--topic",
            &topic,
            "--value-schema-id",
            &value_id.to_string(),
            "--key-schema-id",
            &key_id.to_string(),
            "--envelope",
            "--file",
            example.events,
        ]
        .map(str::to_string);
        println!("==> eventbus {}", produce.join(" "));
        eventbus_command(&eventbus, &produce, &stack)?;

        let consume = [
            "consume",
            "--topic",
            &topic,
            "--from-beginning",
            "--max",
            &count.to_string(),
        ]
        .map(str::to_string);
        println!("==> eventbus {}", consume.join(" "));
        eventbus_command(&eventbus, &consume, &stack)?;
    }

    println!(
        "
Done: the events above went through a real Kafka broker, encoded with schemas
pinned by id from a real schema registry, and came back decoded.

Try next:
  eval \"$(cargo xtask stack env)\"          # point your shell at the local stack
  target/debug/eventbus produce --help     # produce your own events
  target/debug/eventbus encode --help      # encode offline, see field-path errors
  cargo xtask test                         # everything CI runs
  cargo xtask stack down                   # stop the local stack"
    );
    Ok(())
}

fn eventbus_command(
    eventbus: &std::path::Path,
    args: &[String],
    stack: &crate::stack::StackEnv,
) -> Result<(), String> {
    let status = Command::new(eventbus)
        .args(args)
        .envs(stack.vars())
        .current_dir(repo_root())
        .status()
        .map_err(|err| format!("cannot run {}: {err}", eventbus.display()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("eventbus {} failed ({status})", args[0]))
    }
}
