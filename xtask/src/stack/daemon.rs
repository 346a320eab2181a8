//! The stack's background processes: starting them detached, keeping their
//! pids in `target/stack/<name>.pid`, recognising them later, and stopping
//! them.
//!
//! A pid file alone proves nothing: after a crash or a reboot its number may
//! belong to any process. So every process started here carries marker
//! arguments, and a pid is trusted (and signalled) only while
//! `/proc/<pid>/cmdline` still holds all of them. A `java` server carries
//! `-Deventbus.stack.service=<name>` and `-Deventbus.stack.home=<target/stack>`;
//! a program that takes no such options is recognised by the path of its
//! script inside the stack's home instead (see [`Daemon::with_markers`]).
//! That also keeps two checkouts of the repository, or two stack homes, from
//! stopping each other's servers, and lets a server whose pid file was lost be
//! found again by its markers.

use std::fs::{self, File};
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::StackHome;

/// How long a server gets to shut down cleanly after SIGTERM before SIGKILL.
/// Kafka needs a few seconds to close its logs and leave the quorum.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// How often readiness and exit are polled.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

pub struct Daemon {
    name: &'static str,
    pid_file: PathBuf,
    log_file: PathBuf,
    markers: Vec<String>,
}

impl Daemon {
    /// A `java` daemon, marked by two system properties (see
    /// [`Daemon::marker_args`]).
    pub fn new(home: &StackHome, name: &'static str) -> Self {
        let markers = vec![
            format!("-Deventbus.stack.service={name}"),
            format!("-Deventbus.stack.home={}", home.root().display()),
        ];
        Daemon::with_markers(home, name, markers)
    }

    /// A daemon recognised by arguments its command line has anyway, such as
    /// the absolute path of a script under the stack's home. The markers must
    /// name this stack's home, or another stack's process could pass for ours.
    pub fn with_markers(home: &StackHome, name: &'static str, markers: Vec<String>) -> Self {
        Daemon {
            name,
            pid_file: home.root().join(format!("{name}.pid")),
            log_file: home.log_file(name),
            markers,
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn log_file(&self) -> &Path {
        &self.log_file
    }

    /// JVM options that mark a process as this daemon; put them on every
    /// `java` command given to [`Daemon::spawn`].
    pub fn marker_args(&self) -> &[String] {
        &self.markers
    }

    /// The pid of this daemon if it runs: the one in its pid file if that
    /// process is alive and ours, or else any live process that carries our
    /// markers. The search covers a lost pid file, for instance after
    /// `cargo clean` removed `target/` under a running stack.
    pub fn running_pid(&self) -> Option<u32> {
        read_pid(&self.pid_file)
            .filter(|pid| is_alive(*pid) && self.is_ours(*pid))
            .or_else(|| self.find_by_markers())
    }

    fn find_by_markers(&self) -> Option<u32> {
        fs::read_dir("/proc")
            .ok()?
            .filter_map(Result::ok)
            .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
            .find(|pid| is_alive(*pid) && self.is_ours(*pid))
    }

    fn is_ours(&self, pid: u32) -> bool {
        let Ok(raw) = fs::read(format!("/proc/{pid}/cmdline")) else {
            return false;
        };
        let args: Vec<&[u8]> = raw.split(|byte| *byte == 0).collect();
        self.markers
            .iter()
            .all(|marker| args.contains(&marker.as_bytes()))
    }

    /// Removes a pid file whose process is gone or no longer ours.
    pub fn forget_stale_pid_file(&self) -> Result<(), String> {
        match fs::remove_file(&self.pid_file) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(format!("cannot remove {}: {err}", self.pid_file.display())),
        }
    }

    /// Starts `command` in the background so that it outlives this process:
    /// in its own process group (a Ctrl-C meant for cargo does not reach it),
    /// with no standard input, and its output going to the daemon's log file,
    /// which starts afresh with the command line at its head.
    pub fn spawn(&self, mut command: Command) -> Result<u32, String> {
        let mut log = File::create(&self.log_file)
            .map_err(|err| format!("cannot create {}: {err}", self.log_file.display()))?;
        writeln!(log, "$ {command:?}\n")
            .map_err(|err| format!("cannot write {}: {err}", self.log_file.display()))?;
        let log_for_stderr = log
            .try_clone()
            .map_err(|err| format!("cannot share {}: {err}", self.log_file.display()))?;

        let child = command
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_for_stderr)
            .process_group(0)
            .spawn()
            .map_err(|err| format!("cannot start {}: {err}", self.name))?;
        let pid = child.id();

        if let Err(err) = fs::write(&self.pid_file, format!("{pid}\n")) {
            // Without its pid file nobody could stop it later.
            let _ = signal(pid, "KILL");
            return Err(format!("cannot write {}: {err}", self.pid_file.display()));
        }
        Ok(pid)
    }

    /// Polls `is_ready` until it holds, failing early if the process exits and
    /// after `timeout` otherwise; both failures point at the log.
    pub fn wait_until_ready(
        &self,
        home: &StackHome,
        timeout: Duration,
        mut is_ready: impl FnMut() -> bool,
    ) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if is_ready() {
                return Ok(());
            }
            if self.running_pid().is_none() {
                return Err(format!(
                    "{} exited during start-up; the end of {}:\n{}",
                    self.name,
                    home.display(&self.log_file),
                    log_tail(&self.log_file, 25)
                ));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "{} did not become ready within {} s; it is still running, \
                     so look at {} (its end is below) and stop it with \
                     `cargo xtask stack down`:\n{}",
                    self.name,
                    timeout.as_secs(),
                    home.display(&self.log_file),
                    log_tail(&self.log_file, 25)
                ));
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    /// Kills the process at once with SIGKILL, as a crash would: no clean
    /// shutdown. Used by fault tests.
    pub fn kill(&self) -> Result<Option<u32>, String> {
        let Some(pid) = self.running_pid() else {
            return Ok(None);
        };
        signal(pid, "KILL")?;
        if !wait_for_exit(pid, Duration::from_secs(5)) {
            return Err(format!("{} (pid {pid}) survived SIGKILL", self.name));
        }
        self.forget_stale_pid_file()?;
        Ok(Some(pid))
    }

    /// Stops the daemon if it runs: SIGTERM, then SIGKILL after
    /// [`STOP_TIMEOUT`]. Returns the pid that was stopped, if any.
    pub fn stop(&self) -> Result<Option<u32>, String> {
        let Some(pid) = self.running_pid() else {
            self.forget_stale_pid_file()?;
            return Ok(None);
        };

        signal(pid, "TERM")?;
        if !wait_for_exit(pid, STOP_TIMEOUT) {
            eprintln!(
                "{} (pid {pid}) ignored SIGTERM for {} s; sending SIGKILL",
                self.name,
                STOP_TIMEOUT.as_secs()
            );
            signal(pid, "KILL")?;
            if !wait_for_exit(pid, Duration::from_secs(5)) {
                return Err(format!("{} (pid {pid}) survived SIGKILL", self.name));
            }
        }
        self.forget_stale_pid_file()?;
        Ok(Some(pid))
    }
}

fn read_pid(pid_file: &Path) -> Option<u32> {
    fs::read_to_string(pid_file).ok()?.trim().parse().ok()
}

/// Whether `pid` is a live process. A zombie counts as gone: it has exited and
/// only waits for its parent (possibly this very process) to reap it.
fn is_alive(pid: u32) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the command name, which is in parentheses and may
    // itself contain spaces or parentheses.
    let state = stat
        .rfind(')')
        .and_then(|end| stat[end + 1..].trim_start().chars().next());
    !matches!(state, Some('Z' | 'X') | None)
}

fn wait_for_exit(pid: u32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if !is_alive(pid) {
            return true;
        }
        thread::sleep(POLL_INTERVAL);
    }
    !is_alive(pid)
}

/// Sends a signal with the `kill` program, which keeps this crate free of
/// `unsafe` and of a libc dependency.
fn signal(pid: u32, signal: &str) -> Result<(), String> {
    let status = Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .status()
        .map_err(|err| format!("cannot run kill (from the procps package): {err}"))?;
    // kill fails when the process has just exited, which is what we wanted.
    if status.success() || !is_alive(pid) {
        Ok(())
    } else {
        Err(format!("kill -s {signal} {pid} failed ({status})"))
    }
}

/// The last `lines` lines of a log file, for error messages.
pub fn log_tail(path: &Path, lines: usize) -> String {
    match fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(err) => format!("(cannot read {}: {err})", path.display()),
    }
}
