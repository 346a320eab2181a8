//! Just enough HTTP/1.1 to talk to the local registry: plain TCP to
//! 127.0.0.1, one request per connection, no TLS, no redirects, no
//! compression (none is asked for).
//!
//! A few dozen lines here spare the task runner an HTTP client dependency and
//! CI a `curl` install.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub struct Response {
    pub status: u16,
    pub body: String,
}

impl Response {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

pub fn get(port: u16, path: &str) -> io::Result<Response> {
    send(port, "GET", path, None)
}

/// POSTs `body` with the given content type.
pub fn post(port: u16, path: &str, content_type: &str, body: &str) -> io::Result<Response> {
    send(port, "POST", path, Some((content_type, body)))
}

fn send(port: u16, method: &str, path: &str, body: Option<(&str, &str)>) -> io::Result<Response> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;

    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Accept: application/json\r\nConnection: close\r\n"
    );
    if let Some((content_type, body)) = body {
        request.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ));
    } else {
        request.push_str("\r\n");
    }
    stream.write_all(request.as_bytes())?;

    // `Connection: close` lets the end of the stream mark the end of the
    // response, whatever framing the server picks.
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> io::Result<Response> {
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or_else(|| invalid("HTTP response has no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let payload = &raw[split + 4..];

    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|status_line| status_line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid("HTTP response has no status line"))?;
    let chunked = lines.any(|line| {
        let lower = line.to_ascii_lowercase();
        lower.starts_with("transfer-encoding:") && lower.contains("chunked")
    });

    let body = if chunked {
        dechunk(payload)?
    } else {
        payload.to_vec()
    };
    Ok(Response {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Joins the chunks of a `Transfer-Encoding: chunked` body: each is a hex
/// length line, that many bytes, and CRLF; a zero length ends the body.
fn dechunk(mut payload: &[u8]) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = payload
            .windows(2)
            .position(|window| window == b"\r\n")
            .ok_or_else(|| invalid("chunked body is truncated"))?;
        let size_text = String::from_utf8_lossy(&payload[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| invalid("chunked body has a bad chunk size"))?;
        payload = &payload[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = payload
            .get(..size)
            .ok_or_else(|| invalid("chunked body is truncated"))?;
        body.extend_from_slice(chunk);
        payload = payload.get(size + 2..).unwrap_or_default();
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_content_length_response() {
        let response =
            parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n{\"id\":1}").unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(response.body, "{\"id\":1}");
    }

    #[test]
    fn joins_a_chunked_response() {
        let raw = b"HTTP/1.1 409 Conflict\r\nTransfer-Encoding: chunked\r\n\r\n\
                    4\r\n{\"a\"\r\n3;ext=1\r\n:1}\r\n0\r\n\r\n";
        let response = parse_response(raw).unwrap();
        assert_eq!(response.status, 409);
        assert_eq!(response.body, "{\"a\":1}");
    }
}
