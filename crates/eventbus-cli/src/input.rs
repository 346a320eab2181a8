//! Where records and messages come from: one command-line argument, or
//! stdin with one per non-empty line. A line that fails is reported with its
//! number and the rest still run; any failure makes the exit code 1.

use std::io::{self, BufRead, IsTerminal, Write};

use crate::failure::Failure;

/// Calls `handle` with the argument, or with each non-empty stdin line
/// (surrounding whitespace trimmed). `plural` names the items in the summary
/// ("2 of 5 records failed").
pub fn for_each_input(
    argument: Option<&str>,
    plural: &str,
    mut handle: impl FnMut(&[u8]) -> Result<(), Failure>,
) -> Result<(), Failure> {
    if let Some(argument) = argument {
        return handle(argument.trim().as_bytes());
    }

    let stdin = io::stdin();
    if stdin.is_terminal() {
        // Otherwise a newcomer who forgot the argument sees a silent hang.
        report(&format!(
            "reading {plural} from stdin, one per line; end with Ctrl-D"
        ));
    }

    let (mut total, mut failed) = (0usize, 0usize);
    for (index, line) in stdin.lock().split(b'\n').enumerate() {
        let line = line.map_err(|err| Failure::fatal(format!("cannot read stdin: {err}")))?;
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        total += 1;
        match handle(line) {
            Ok(()) => {}
            Err(Failure::Input(message)) => {
                failed += 1;
                report(&format!("line {}: {message}", index + 1));
            }
            Err(stop) => return Err(stop),
        }
    }

    if failed > 0 {
        return Err(Failure::fatal(format!(
            "{failed} of {total} {plural} failed"
        )));
    }
    Ok(())
}

fn report(message: &str) {
    let _ = writeln!(io::stderr(), "eventbus: {message}");
}
