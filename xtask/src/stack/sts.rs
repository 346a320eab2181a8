//! The local STS: moto's server, which answers the AWS STS API (`AssumeRole`
//! and the rest) for any role ARN with made-up `ASIA...` credentials. The
//! broker's token validator looks temporary keys up in it (`GET
//! /moto-api/data.json`), so credentials that a test gets from `AssumeRole`
//! authenticate without the test copying them anywhere.
//!
//! moto is a Python package: it is installed once, pinned, into a virtualenv
//! at `target/stack/venv` (made with `python3 -m venv`), and runs as
//! `<venv>/bin/python3 <venv>/bin/moto_server -H 127.0.0.1 -p <port>`. The
//! script's path, which names the stack's home, marks the process as ours.
//! moto keeps everything in memory: each start issues credentials afresh.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::daemon::Daemon;
use super::toolchain;
use super::{Ports, StackHome, http, write_file};

/// The one place moto's version is chosen; a change reinstalls it on the
/// next `up`.
pub const MOTO_VERSION: &str = "5.2.5";

/// moto imports for a second or two; more on a loaded machine.
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);

const INSTALL_HINT: &str = "apt-get install python3 python3-venv";

pub fn endpoint_url(ports: &Ports) -> String {
    format!("http://127.0.0.1:{}", ports.sts)
}

fn venv(home: &StackHome) -> PathBuf {
    home.root().join("venv")
}

fn python(venv: &Path) -> PathBuf {
    venv.join("bin").join("python3")
}

fn moto_server(venv: &Path) -> PathBuf {
    venv.join("bin").join("moto_server")
}

/// Written once moto is installed, so that a half-finished install is done
/// again rather than trusted.
fn install_stamp(venv: &Path) -> PathBuf {
    venv.join(format!("eventbus-stack-moto-{MOTO_VERSION}"))
}

pub fn daemon(home: &StackHome) -> Daemon {
    let script = moto_server(&venv(home)).display().to_string();
    Daemon::with_markers(home, "sts", vec![script])
}

/// Checks that Python is there if moto is still to be installed.
pub fn prerequisites(home: &StackHome) -> Result<(), String> {
    if install_stamp(&venv(home)).is_file() || toolchain::find_on_path("python3").is_some() {
        Ok(())
    } else {
        Err(format!(
            "`python3` was not found on PATH; the stack runs moto, a local STS, from a \
             Python virtualenv. Install it with: {INSTALL_HINT}"
        ))
    }
}

/// Installs moto (first run only) and starts it, without waiting for it to
/// answer.
pub fn start(daemon: &Daemon, home: &StackHome, ports: &Ports) -> Result<(), String> {
    let venv = venv(home);
    ensure_installed(home, &venv)?;

    println!(
        "==> sts (moto {MOTO_VERSION}): starting on {} (log: {})",
        endpoint_url(ports),
        home.display(daemon.log_file())
    );
    let mut command = Command::new(python(&venv));
    command
        .arg(moto_server(&venv))
        .args(["-H", "127.0.0.1", "-p", &ports.sts.to_string()])
        .current_dir(home.root());
    daemon.spawn(command)?;
    Ok(())
}

/// Makes the virtualenv if needed, then installs the pinned moto into it
/// unless that is done already. pip keeps its downloads in its own cache.
fn ensure_installed(home: &StackHome, venv: &Path) -> Result<(), String> {
    if install_stamp(venv).is_file() {
        return Ok(());
    }
    println!(
        "==> sts: installing moto {MOTO_VERSION} into {} (first run only)",
        home.display(venv)
    );

    if !python(venv).is_file() {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(venv)
            .output()
            .map_err(|err| format!("cannot run python3: {err}"))?;
        if !made.status.success() {
            return Err(format!(
                "python3 -m venv {} failed ({}); on Debian the venv module is a separate \
                 package ({INSTALL_HINT}):\n{}{}",
                venv.display(),
                made.status,
                String::from_utf8_lossy(&made.stdout),
                String::from_utf8_lossy(&made.stderr)
            ));
        }
    }

    let installed = Command::new(python(venv))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            &format!("moto[server]=={MOTO_VERSION}"),
        ])
        .output()
        .map_err(|err| format!("cannot run pip: {err}"))?;
    if !installed.status.success() {
        return Err(format!(
            "pip could not install moto {MOTO_VERSION} into {} ({}):\n{}{}",
            venv.display(),
            installed.status,
            String::from_utf8_lossy(&installed.stdout),
            String::from_utf8_lossy(&installed.stderr)
        ));
    }
    write_file(&install_stamp(venv), "")
}

/// Whether moto answers on its port.
pub fn is_healthy(ports: &Ports) -> bool {
    http::get(ports.sts, "/moto-api/data.json").is_ok_and(|response| response.is_success())
}
