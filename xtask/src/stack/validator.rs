//! The broker's MSK IAM token validator: Java sources in
//! `xtask/stack/validator/`, compiled here against the broker's own jars
//! (kafka-clients and slf4j-api) into `target/stack/validator/msk-iam-validator.jar`,
//! which goes on the broker's classpath.
//!
//! The sources are built into xtask, so a change to them rebuilds xtask, and
//! the next broker start recompiles the jar; otherwise the jar is kept. After
//! each compilation the jar's self-test (a SigV4 known answer, then each kind
//! of bad token) must pass, or the broker does not start.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

use super::kafka::KAFKA_VERSION;
use super::toolchain::Java;
use super::{StackHome, create_dir, remove_dir_if_present, write_file};

/// The class the broker is told to use for
/// `listener.name.sasl_ssl.oauthbearer.sasl.server.callback.handler.class`.
pub const CALLBACK_HANDLER_CLASS: &str = "eventbus.stack.iam.MskIamCallbackHandler";

const SELF_TEST_CLASS: &str = "eventbus.stack.iam.SelfTest";

/// Where the sources sit below `src/`, as their package requires.
const PACKAGE_DIR: &str = "eventbus/stack/iam";

macro_rules! java_source {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!(
                "../../stack/validator/src/eventbus/stack/iam/",
                $name
            )),
        )
    };
}

const SOURCES: &[(&str, &str)] = &[
    java_source!("MskIamCallbackHandler.java"),
    java_source!("MskIamTokenValidator.java"),
    java_source!("CredentialStore.java"),
    java_source!("SigV4.java"),
    java_source!("Json.java"),
    java_source!("Rejection.java"),
    java_source!("SelfTest.java"),
];

struct ValidatorFiles {
    dir: PathBuf,
}

impl ValidatorFiles {
    fn new(home: &StackHome) -> Self {
        ValidatorFiles {
            dir: home.root().join("validator"),
        }
    }

    fn jar(&self) -> PathBuf {
        self.dir.join("msk-iam-validator.jar")
    }

    /// Holds the [`fingerprint`] of the sources the jar was built from.
    fn stamp(&self) -> PathBuf {
        self.dir.join("msk-iam-validator.fingerprint")
    }

    fn is_current(&self) -> bool {
        self.jar().is_file()
            && fs::read_to_string(self.stamp()).is_ok_and(|stamp| stamp.trim() == fingerprint())
    }
}

/// The jar's path, whether or not it is built yet.
pub fn jar_path(home: &StackHome) -> PathBuf {
    ValidatorFiles::new(home).jar()
}

/// Whether the jar was built from the sources in this xtask binary.
pub fn is_current(home: &StackHome) -> bool {
    ValidatorFiles::new(home).is_current()
}

/// Checks that a JDK is there if the jar needs compiling.
pub fn prerequisites(home: &StackHome, java: &Java) -> Result<(), String> {
    if !ValidatorFiles::new(home).is_current() {
        jdk_tool(java, "javac")?;
        jdk_tool(java, "jar")?;
    }
    Ok(())
}

/// Compiles, packs and self-tests the validator unless the jar is current.
/// `kafka_classpath` is the broker's classpath, compiled against.
pub fn ensure_built(home: &StackHome, java: &Java, kafka_classpath: &str) -> Result<(), String> {
    let files = ValidatorFiles::new(home);
    if files.is_current() {
        return Ok(());
    }
    println!("==> validator: compiling the MSK IAM token validator (xtask/stack/validator)");

    let sources = files.dir.join("src");
    let classes = files.dir.join("classes");
    remove_dir_if_present(&sources)?;
    remove_dir_if_present(&classes)?;
    let package = sources.join(PACKAGE_DIR);
    create_dir(&package)?;
    create_dir(&classes)?;
    let _ = fs::remove_file(files.stamp());

    let mut javac = Command::new(jdk_tool(java, "javac")?);
    javac
        .args(["--release", "17", "-encoding", "UTF-8", "-Xlint:all"])
        .arg("-d")
        .arg(&classes)
        .arg("-cp")
        .arg(kafka_classpath);
    for (name, text) in SOURCES {
        let path = package.join(name);
        write_file(&path, text)?;
        javac.arg(path);
    }
    let compiled = run(javac, "javac")?;
    if !compiled.status.success() {
        return Err(format!(
            "the MSK IAM token validator does not compile ({}):\n{}",
            compiled.status,
            transcript(&compiled)
        ));
    }
    let warnings = transcript(&compiled);
    if !warnings.trim().is_empty() {
        println!("{}", warnings.trim_end());
    }

    let partial = files.dir.join("msk-iam-validator.jar.partial");
    let mut jar = Command::new(jdk_tool(java, "jar")?);
    jar.arg("--create")
        .arg("--file")
        .arg(&partial)
        .arg("-C")
        .arg(&classes)
        .arg(".");
    let packed = run(jar, "jar")?;
    if !packed.status.success() {
        return Err(format!(
            "jar could not pack the validator ({}):\n{}",
            packed.status,
            transcript(&packed)
        ));
    }

    let mut self_test = Command::new(&java.path);
    self_test
        .args(["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp"])
        .arg(format!("{}:{kafka_classpath}", partial.display()))
        .arg(SELF_TEST_CLASS);
    let tested = run(self_test, "the validator's self-test")?;
    if !tested.status.success() {
        let _ = fs::remove_file(&partial);
        return Err(format!(
            "the MSK IAM token validator failed its self-test ({}); the broker is not \
             started with it:\n{}",
            tested.status,
            transcript(&tested)
        ));
    }
    println!("    {}", transcript(&tested).trim());

    fs::rename(&partial, files.jar()).map_err(|err| {
        format!(
            "cannot rename {} to {}: {err}",
            partial.display(),
            files.jar().display()
        )
    })?;
    write_file(&files.stamp(), &format!("{}\n", fingerprint()))
}

/// A tool from the JDK that `java` belongs to (`/usr/bin/java` is usually a
/// chain of links into `/usr/lib/jvm/<jdk>/bin/`).
fn jdk_tool(java: &Java, tool: &str) -> Result<PathBuf, String> {
    let real_java = fs::canonicalize(&java.path).unwrap_or_else(|_| java.path.clone());
    let candidate = real_java.parent().map(|bin| bin.join(tool));
    match candidate {
        Some(path) if path.is_file() => Ok(path),
        _ => Err(format!(
            "`{tool}` was not found beside {}; the stack compiles its MSK IAM token \
             validator and needs a full JDK. Install it with: apt-get install \
             openjdk-17-jdk-headless (or point JAVA_HOME at a JDK)",
            real_java.display()
        )),
    }
}

fn run(mut command: Command, what: &str) -> Result<Output, String> {
    command
        .output()
        .map_err(|err| format!("cannot run {what}: {err}"))
}

fn transcript(output: &Output) -> String {
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    text
}

/// FNV-1a over the sources and the Kafka version compiled against: it
/// changes whenever the jar would. (std's hashers may change between Rust
/// releases; that would only cost one recompilation, but this one does not.)
fn fingerprint() -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    feed(KAFKA_VERSION.as_bytes());
    for (name, text) in SOURCES {
        feed(b"\0");
        feed(name.as_bytes());
        feed(b"\0");
        feed(text.as_bytes());
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn every_java_source_is_built() {
        let dir =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("stack/validator/src/eventbus/stack/iam");
        let mut on_disk: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".java"))
            .collect();
        on_disk.sort();
        let mut built: Vec<String> = SOURCES.iter().map(|(name, _)| name.to_string()).collect();
        built.sort();
        assert_eq!(
            on_disk,
            built,
            "list every file of {} in SOURCES",
            dir.display()
        );
    }

    #[test]
    fn the_fingerprint_is_stable() {
        assert_eq!(fingerprint(), fingerprint());
        assert_eq!(fingerprint().len(), 16);
    }
}
