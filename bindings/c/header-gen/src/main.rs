//! Writes `bindings/c/include/eventbus.h` from the C API crate with cbindgen,
//! or with `--check` fails if the committed header differs from what the
//! sources give. A library here rather than `cargo install cbindgen`, so a
//! fresh machine needs nothing beyond cargo.
//!
//! ```sh
//! cargo run -p eventbus-c-header            # rewrite the header
//! cargo run -p eventbus-c-header -- --check # CI: fail on any difference
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let check = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some(other) => {
            eprintln!("usage: eventbus-c-header [--check] (unknown argument {other:?})");
            return ExitCode::from(2);
        }
    };
    match run(check) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("eventbus-c-header: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The C API crate: this crate's parent folder.
fn crate_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The header text the sources give now.
fn generate(crate_dir: &Path) -> Result<String, String> {
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .map_err(|err| format!("cannot read cbindgen.toml: {err}"))?;
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_crate(crate_dir)
        .generate()
        .map_err(|err| format!("cbindgen failed: {err}"))?;
    let mut text = Vec::new();
    bindings.write(&mut text);
    let text = String::from_utf8(text).map_err(|err| format!("cbindgen wrote non-UTF-8: {err}"))?;
    // One version for the crate, the header and the packaging: the crate's.
    Ok(text.replace("@EVENTBUS_VERSION@", env!("CARGO_PKG_VERSION")))
}

fn run(check: bool) -> Result<(), String> {
    let crate_dir = crate_dir();
    let header = crate_dir.join("include/eventbus.h");
    let generated = generate(&crate_dir)?;
    if check {
        let committed = std::fs::read_to_string(&header)
            .map_err(|err| format!("cannot read {}: {err}", header.display()))?;
        if committed != generated {
            let line = committed
                .lines()
                .zip(generated.lines())
                .position(|(old, new)| old != new)
                .map_or_else(
                    || committed.lines().count().min(generated.lines().count()) + 1,
                    |index| index + 1,
                );
            return Err(format!(
                "{} is out of date (first difference at line {line}); run `cargo run -p \
                 eventbus-c-header` and commit the result",
                header.display()
            ));
        }
        println!("{} is up to date", header.display());
        return Ok(());
    }
    std::fs::write(&header, generated)
        .map_err(|err| format!("cannot write {}: {err}", header.display()))?;
    println!("wrote {}", header.display());
    Ok(())
}
