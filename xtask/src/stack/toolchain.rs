//! The outside tools the stack needs, `java` and `mvn`: finding them (with a
//! message that says what to install when they are missing) and fetching
//! artifacts from Maven Central through them.
//!
//! Maven does the downloading so that the local repository (`~/.m2`) caches
//! every artifact and proxies or mirrors configured for Maven apply. Plugins
//! are named by full coordinates because short prefixes such as
//! `dependency:` do not always resolve on a fresh machine.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const DEPENDENCY_PLUGIN: &str = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1";

/// What a fresh Debian or Ubuntu machine installs to run the stack.
const INSTALL_HINT: &str = "apt-get install openjdk-17-jdk-headless maven";

/// A `java` launcher and the feature release it runs (17, 21, 25, ...).
#[derive(Debug, Clone)]
pub struct Java {
    pub path: PathBuf,
    pub major: u32,
}

/// Finds a `java` of at least `min_major`, trying in order `$JAVA_HOME`, the
/// `java` on `PATH`, then every JDK under `/usr/lib/jvm` (newest first). The
/// fallback matters for the registry, which needs a newer Java than the
/// distribution's default.
pub fn find_java(min_major: u32, needed_by: &str) -> Result<Java, String> {
    let mut candidates = Vec::new();
    if let Some(home) = env::var_os("JAVA_HOME") {
        candidates.push(PathBuf::from(home).join("bin").join("java"));
    }
    if let Some(on_path) = find_on_path("java") {
        candidates.push(on_path);
    }
    let mut installed: Vec<PathBuf> = std::fs::read_dir("/usr/lib/jvm")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path().join("bin").join("java"))
                .filter(|path| path.is_file())
                .collect()
        })
        .unwrap_or_default();
    installed.sort();
    candidates.extend(installed);

    let mut found = Vec::new();
    for path in candidates {
        if let Some(major) = java_major_version(&path) {
            if major >= min_major {
                return Ok(Java { path, major });
            }
            found.push(format!("{} (Java {major})", path.display()));
        }
    }

    if found.is_empty() {
        Err(format!(
            "no `java` found (looked at $JAVA_HOME, PATH and /usr/lib/jvm); \
             {needed_by} needs Java {min_major} or newer. Install it with: {INSTALL_HINT}"
        ))
    } else {
        // Only reachable for the registry: the default JDK is new enough for
        // Kafka.
        Err(format!(
            "{needed_by} needs Java {min_major} or newer, but only found: {}. \
             Install a newer JDK (for example openjdk-21-jdk-headless on Debian 13, \
             or Eclipse Temurin 21 or 25) under /usr/lib/jvm, or point JAVA_HOME at one",
            found.join(", ")
        ))
    }
}

/// Runs `java -version` and reads the feature release from its first line,
/// e.g. `openjdk version "17.0.15" 2025-04-15` or `java version "1.8.0_392"`.
fn java_major_version(java: &Path) -> Option<u32> {
    let output = Command::new(java).arg("-version").output().ok()?;
    let text = String::from_utf8_lossy(&output.stderr);
    let quoted = text.lines().next()?.split('"').nth(1)?;
    let mut numbers = quoted.split(['.', '_', '-', '+']);
    let first: u32 = numbers.next()?.parse().ok()?;
    if first == 1 {
        numbers.next()?.parse().ok()
    } else {
        Some(first)
    }
}

pub fn find_on_path(program: &str) -> Option<PathBuf> {
    env::split_paths(&env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

pub fn mvn() -> Result<PathBuf, String> {
    find_on_path("mvn").ok_or_else(|| {
        format!(
            "`mvn` was not found on PATH; the stack downloads Kafka and the registry \
             with Maven. Install it with: {INSTALL_HINT}"
        )
    })
}

/// A quiet, non-interactive Maven command in `dir`.
fn maven_command(dir: &Path) -> Result<Command, String> {
    let mut command = Command::new(mvn()?);
    command
        .current_dir(dir)
        .args(["--batch-mode", "--quiet", "-Dstyle.color=never"]);
    Ok(command)
}

/// Runs Maven with its output captured and shows that output only if it
/// fails. (Debian's Maven 3.8 prints stray colour codes even in batch mode.)
fn run_maven(mut command: Command, what: &str) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|err| format!("cannot run mvn: {err}"))?;
    if output.status.success() {
        return Ok(());
    }
    let mut messages = String::from_utf8_lossy(&output.stdout).into_owned();
    messages.push_str(&String::from_utf8_lossy(&output.stderr));
    Err(format!(
        "mvn failed to download {what} ({}):\n{}",
        output.status,
        strip_terminal_colours(&messages).trim()
    ))
}

/// Removes ANSI escape sequences such as `ESC[0m`.
fn strip_terminal_colours(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        if character == '\u{1b}' {
            // Skip to the letter that ends the sequence.
            for inner in characters.by_ref() {
                if inner.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(character);
        }
    }
    plain
}

/// Copies the runtime dependencies of the POM in `pom_dir`, and their own, as
/// jars into `output_dir`.
pub fn copy_dependencies(pom_dir: &Path, output_dir: &Path, what: &str) -> Result<(), String> {
    let mut command = maven_command(pom_dir)?;
    command.args([
        &format!("{DEPENDENCY_PLUGIN}:copy-dependencies"),
        "-DincludeScope=runtime",
        &format!("-DoutputDirectory={}", output_dir.display()),
    ]);
    run_maven(command, what)
}

/// Copies one artifact (`group:artifact:version:type:classifier`) into
/// `output_dir`. Needs no POM.
pub fn copy_artifact(coordinates: &str, output_dir: &Path) -> Result<(), String> {
    let mut command = maven_command(output_dir)?;
    command.args([
        &format!("{DEPENDENCY_PLUGIN}:copy"),
        &format!("-Dartifact={coordinates}"),
        &format!("-DoutputDirectory={}", output_dir.display()),
    ]);
    run_maven(command, coordinates)
}

/// Replaces each `{{name}}` in `template` with its value. A placeholder left
/// over is an error, so a template and its code cannot drift apart silently.
pub fn fill_template(
    template_name: &str,
    template: &str,
    values: &[(&str, &str)],
) -> Result<String, String> {
    let mut text = template.to_string();
    for (name, value) in values {
        text = text.replace(&format!("{{{{{name}}}}}"), value);
    }
    match text.find("{{") {
        None => Ok(text),
        Some(start) => {
            let rest = &text[start..];
            let placeholder = rest.split_once("}}").map_or(rest, |(name, _)| name);
            Err(format!(
                "{template_name} has a placeholder {placeholder}}}}} that xtask does not fill"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_every_placeholder() {
        let filled = fill_template("t", "a={{a}} b={{b}}", &[("a", "1"), ("b", "2")]);
        assert_eq!(filled.as_deref(), Ok("a=1 b=2"));
    }

    #[test]
    fn names_a_placeholder_left_unfilled() {
        let error = fill_template("t", "a={{a}} b={{b}}", &[("a", "1")]).unwrap_err();
        assert!(error.contains("{{b}}"), "{error}");
    }

    #[test]
    fn strips_colour_codes_from_maven_output() {
        assert_eq!(
            strip_terminal_colours("\u{1b}[0m\u{1b}[1;31m[ERROR]\u{1b}[m x"),
            "[ERROR] x"
        );
    }
}
