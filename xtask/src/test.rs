//! `cargo xtask test`: what CI runs, in the order a failure is cheapest to find.

use std::path::PathBuf;
use std::process::Command;

/// The repository root (the parent of this crate's folder).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// Runs a command in the repository root, failing with its name if it fails.
pub fn run_step(description: &str, program: &str, args: &[&str]) -> Result<(), String> {
    println!("==> {description}: {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(repo_root())
        .status()
        .map_err(|err| format!("cannot run {program}: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{description} failed ({status})"))
    }
}

pub fn run(_args: &[String]) -> Result<(), String> {
    run_step("formatting", "cargo", &["fmt", "--all", "--check"])?;
    run_step(
        "clippy",
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    run_step(
        "clippy without the kafka and registry features",
        "cargo",
        &[
            "clippy",
            "--package",
            "eventbus",
            "--no-default-features",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    run_step(
        "tests without the kafka and registry features",
        "cargo",
        &[
            "test",
            "--package",
            "eventbus",
            "--no-default-features",
            "--lib",
        ],
    )?;
    run_step("tests", "cargo", &["test", "--workspace"])?;
    Ok(())
}
