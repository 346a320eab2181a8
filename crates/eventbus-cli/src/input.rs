//! Where records and messages come from: one command-line argument, or
//! lines of stdin or a file with one per non-empty line. A line that fails is
//! reported with its number and the rest still run; any failure makes the
//! exit code 1.

use std::io::{self, BufRead, IsTerminal, StdinLock, Write};

use crate::failure::Failure;

/// The non-empty lines of a reader, surrounding whitespace trimmed, each
/// with its 1-based number in the whole input (blank lines count, so the
/// number is the one an editor shows).
pub struct Lines<R> {
    reader: R,
    line: Vec<u8>,
    number: usize,
    bytes_read: u64,
}

impl<R: BufRead> Lines<R> {
    pub fn new(reader: R) -> Self {
        Lines {
            reader,
            line: Vec::new(),
            number: 0,
            bytes_read: 0,
        }
    }

    /// The next non-empty line and its number, or `None` at the end.
    pub fn next_line(&mut self) -> io::Result<Option<(usize, &[u8])>> {
        loop {
            self.line.clear();
            let read = self.reader.read_until(b'\n', &mut self.line)?;
            if read == 0 {
                return Ok(None);
            }
            self.number += 1;
            self.bytes_read += read as u64;
            if !self.line.trim_ascii().is_empty() {
                return Ok(Some((self.number, self.line.trim_ascii())));
            }
        }
    }

    /// How far into the input the lines returned so far reach, in bytes.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }
}

/// The lines of stdin. `plural` names the items ("records") in the hint
/// shown when stdin is a terminal.
pub fn stdin_lines(plural: &str) -> Lines<StdinLock<'static>> {
    let stdin = io::stdin();
    if stdin.is_terminal() {
        // Otherwise a newcomer who forgot the argument sees a silent hang.
        report(&format!(
            "reading {plural} from stdin, one per line; end with Ctrl-D"
        ));
    }
    Lines::new(stdin.lock())
}

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

    let mut lines = stdin_lines(plural);
    let (mut total, mut failed) = (0usize, 0usize);
    while let Some((number, line)) = lines.next_line().map_err(reading_stdin)? {
        total += 1;
        match handle(line) {
            Ok(()) => {}
            Err(Failure::Input(message)) => {
                failed += 1;
                report(&format!("line {number}: {message}"));
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

pub fn reading_stdin(err: io::Error) -> Failure {
    Failure::fatal(format!("cannot read stdin: {err}"))
}

/// One `eventbus: ...` line on stderr, for a problem that does not stop the command.
pub fn report(message: &str) {
    let _ = writeln!(io::stderr(), "eventbus: {message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_skip_blanks_but_count_them() {
        let mut lines = Lines::new(&b"a\n\n  \n b \r\nc"[..]);
        let mut seen = Vec::new();
        while let Some((number, line)) = lines.next_line().unwrap() {
            seen.push((number, String::from_utf8(line.to_vec()).unwrap()));
        }
        assert_eq!(
            seen,
            [
                (1, "a".to_string()),
                (4, "b".to_string()),
                (5, "c".to_string())
            ]
        );
        assert_eq!(lines.bytes_read(), 12);
    }
}
