//! The doctor's report: one line per check with its status, the detail and
//! fix lines indented under it, and the tally that decides the exit code.
//! Lines go to stdout as each check ends, so a slow check shows where the
//! run is waiting. Nothing here knows what is checked.

use std::fmt::Display;
use std::io::{self, Write};

use crate::failure::Failure;

/// How a check ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Works, but not as the Event Bus expects; does not fail the run.
    Warn,
    /// Broken; the run exits non-zero.
    Fail,
    /// Not tried, because an earlier result makes it meaningless.
    Skip,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
            Status::Skip => "skip",
        }
    }
}

/// Width of the status column, and so the indent of detail lines.
const INDENT: usize = 6;

pub struct Checklist {
    out: io::Stdout,
    /// The first failed write; the checks still run, the run then fails.
    write_error: Option<io::Error>,
    counts: [usize; 4],
}

impl Checklist {
    pub fn new() -> Self {
        Checklist {
            out: io::stdout(),
            write_error: None,
            counts: [0; 4],
        }
    }

    /// A line of its own, such as the heading.
    pub fn line(&mut self, text: impl Display) {
        self.write(&format!("{text}\n"));
    }

    pub fn ok(&mut self, check: &str, detail: impl Display) {
        self.entry(Status::Ok, check, detail, &[], None);
    }

    /// A warning, with what to do about it.
    pub fn warn(&mut self, check: &str, detail: impl Display, fix: impl Display) {
        self.entry(Status::Warn, check, detail, &[], Some(&fix));
    }

    /// A failure, with the one thing to do first.
    pub fn fail(&mut self, check: &str, detail: impl Display, fix: impl Display) {
        self.entry(Status::Fail, check, detail, &[], Some(&fix));
    }

    pub fn skip(&mut self, check: &str, why: impl Display) {
        self.entry(Status::Skip, check, why, &[], None);
    }

    /// A check's line, the detail lines under it, then its fix.
    pub fn entry(
        &mut self,
        status: Status,
        check: &str,
        detail: impl Display,
        details: &[String],
        fix: Option<&dyn Display>,
    ) {
        self.counts[status as usize] += 1;
        self.write(&format!("{:<INDENT$}{check}: {detail}\n", status.label()));
        for line in details {
            self.detail(line);
        }
        if let Some(fix) = fix {
            self.detail(format!("fix: {fix}"));
        }
    }

    /// An indented line under the last check.
    pub fn detail(&mut self, text: impl Display) {
        self.write(&format!("{:INDENT$}{text}\n", ""));
    }

    pub fn failures(&self) -> usize {
        self.count(Status::Fail)
    }

    /// The tally line; the run fails if any check did.
    pub fn finish(mut self) -> Result<(), Failure> {
        let tally = [Status::Ok, Status::Warn, Status::Fail, Status::Skip]
            .map(|status| format!("{} {}", self.count(status), status.label()))
            .join(", ");
        self.write(&format!("\n{tally}\n"));
        if let Some(err) = self.write_error.take() {
            return Err(Failure::writing_output(err));
        }
        match self.failures() {
            0 => Ok(()),
            1 => Err(Failure::fatal("1 check failed; its fix is under it")),
            failed => Err(Failure::fatal(format!(
                "{failed} checks failed; each one's fix is under it"
            ))),
        }
    }

    fn count(&self, status: Status) -> usize {
        self.counts[status as usize]
    }

    fn write(&mut self, text: &str) {
        if self.write_error.is_some() {
            return;
        }
        let mut out = self.out.lock();
        if let Err(err) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            self.write_error = Some(err);
        }
    }
}
