//! The project's task runner: `cargo xtask <task>`.
//!
//! Every task is a plain function over `std::process::Command`, so a
//! newcomer can read exactly what CI runs.

mod bench;
mod bench_report;
mod demo;
mod stack;
mod test;
mod wasm;
mod web;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  bench   every binding beside its incumbents; --quick for a smoke run (writes target/bench/)
  demo    start the local stack, produce the example events, read them back
  test    formatting, clippy (warnings denied) and every test, end-to-end included
  stack   local Kafka and schema registry: up, down, status, env, register, broker kill
  wasm    the eventbus-wasm npm package: build, test, pack, ci
  web     serve the onboarding page on 127.0.0.1 (--port N, default 8765)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("demo") => demo::run(&args[1..]),
        Some("stack") => stack::run(&args[1..]),
        Some("wasm") => wasm::run(&args[1..]),
        Some("web") => web::run(&args[1..]),
        Some("help" | "-h" | "--help") | None => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown task {other:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
