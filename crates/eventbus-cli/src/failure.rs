//! How a command fails. Every failure ends as `eventbus: <message>` on
//! stderr and, but for `Undecided`, exit code 1. The variants decide whether
//! a run over stdin lines may go on to the next line, and let a command
//! whose exit code 1 is an answer (`schema check`: incompatible) say that it
//! could not answer (exit 2).

use std::io;

pub enum Failure {
    /// One record or message could not be handled; the other lines still are.
    Input(String),
    /// The command cannot go on: bad settings, an unreadable schema, a
    /// registry that refused.
    Fatal(String),
    /// A check could not reach a verdict: exit 2, as for a usage error, so a
    /// script can tell "no" (1) from "could not tell".
    Undecided(String),
    /// Whoever read stdout went away (`| head`): stop quietly.
    OutputClosed,
}

impl Failure {
    pub fn input(err: impl ToString) -> Self {
        Failure::Input(err.to_string())
    }

    pub fn fatal(message: impl Into<String>) -> Self {
        Failure::Fatal(message.into())
    }

    /// The same failure, for a command whose exit code 1 means "no".
    pub fn undecided(self) -> Self {
        match self {
            Failure::Input(message) | Failure::Fatal(message) => Failure::Undecided(message),
            other => other,
        }
    }

    pub fn writing_output(err: io::Error) -> Self {
        if err.kind() == io::ErrorKind::BrokenPipe {
            Failure::OutputClosed
        } else {
            Failure::Fatal(format!("cannot write to stdout: {err}"))
        }
    }
}

/// Errors met while setting up a command stop it.
impl From<eventbus::Error> for Failure {
    fn from(err: eventbus::Error) -> Self {
        Failure::Fatal(err.to_string())
    }
}
