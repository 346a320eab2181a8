//! `cargo xtask web`: serves the onboarding page (`web/`) and the
//! eventbus-wasm package it runs on, from 127.0.0.1 only.
//!
//! A small static file server: GET and HEAD, one thread per connection,
//! no directory listings, nothing outside its two folders. The page needs
//! no server-side code; any static host serving the same two folders works.
//! The Content-Security-Policy header keeps the page to its own origin, so a
//! browser that opens it never fetches from anywhere else.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};

use crate::test::repo_root;

const DEFAULT_PORT: u16 = 8765;

/// Where the page imports the package from.
const PACKAGE_PREFIX: &str = "/eventbus-wasm/";

const USAGE: &str = "usage: cargo xtask web [--port N]  (default 8765; 0 picks a free port)";

pub fn run(args: &[String]) -> Result<(), String> {
    let port = match args {
        [] => DEFAULT_PORT,
        [flag, port] if flag == "--port" => port
            .parse()
            .map_err(|_| format!("--port takes a number from 0 to 65535\n{USAGE}"))?,
        _ => return Err(USAGE.into()),
    };
    let package = crate::wasm::package_dir();
    if !package.join("eventbus_wasm_bg.wasm").exists() {
        crate::wasm::build()?;
    }
    let listener = bind(port)?;
    let address = listener
        .local_addr()
        .map_err(|err| format!("cannot read the bound address: {err}"))?;
    println!("the onboarding page: http://{address}/  (Ctrl-C stops it)");
    serve(listener, Roots::new(package));
    Ok(())
}

/// Starts the server on a thread for the browser tests; returns its address.
pub fn serve_in_background(port: u16, package: &Path) -> Result<SocketAddr, String> {
    let listener = bind(port)?;
    let address = listener
        .local_addr()
        .map_err(|err| format!("cannot read the bound address: {err}"))?;
    let roots = Roots::new(package.to_path_buf());
    std::thread::spawn(move || serve(listener, roots));
    Ok(address)
}

fn bind(port: u16) -> Result<TcpListener, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .map_err(|err| format!("cannot listen on 127.0.0.1:{port}: {err}"))
}

/// The two folders served: the page at `/`, the package under
/// [`PACKAGE_PREFIX`].
#[derive(Clone)]
struct Roots {
    page: PathBuf,
    package: PathBuf,
}

impl Roots {
    fn new(package: PathBuf) -> Self {
        Roots {
            page: repo_root().join("web"),
            package,
        }
    }

    /// The file a request path names, if it is inside a served folder.
    fn resolve(&self, request_path: &str) -> Option<PathBuf> {
        let path = request_path.split(['?', '#']).next().unwrap_or_default();
        let (root, rest) = match path.strip_prefix(PACKAGE_PREFIX) {
            Some(rest) => (&self.package, rest),
            None => (&self.page, path.trim_start_matches('/')),
        };
        // Only plain names: no `..`, no hidden files, no encoded escapes.
        let safe = rest
            .split('/')
            .all(|segment| !segment.starts_with('.') && !segment.contains(['%', '\\']));
        if !safe || rest.starts_with("node_modules") || rest.starts_with("test") {
            return None;
        }
        let file = if rest.is_empty() || rest.ends_with('/') {
            root.join(rest).join("index.html")
        } else {
            root.join(rest)
        };
        file.is_file().then_some(file)
    }
}

fn serve(listener: TcpListener, roots: Roots) {
    for stream in listener.incoming().flatten() {
        let roots = roots.clone();
        std::thread::spawn(move || {
            // A client that goes away mid-answer is its own business.
            let _ = answer(stream, &roots);
        });
    }
}

fn answer(stream: TcpStream, roots: &Roots) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // The headers are read and ignored: nothing here depends on them.
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }

    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default();
    let path = parts.next().unwrap_or_default();
    let mut stream = stream;
    if method != "GET" && method != "HEAD" {
        return respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            b"GET only\n",
        );
    }
    match roots.resolve(path).map(|file| (fs::read(&file), file)) {
        Some((Ok(body), file)) => {
            let body = if method == "HEAD" { &[][..] } else { &body[..] };
            respond(&mut stream, "200 OK", content_type(&file), body)
        }
        _ => respond(&mut stream, "404 Not Found", "text/plain", b"not found\n"),
    }
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\n\
         Content-Security-Policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
         form-action 'none'\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

/// Browsers refuse module scripts and streaming wasm compilation without
/// the right type.
fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|ext| ext.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json" | "avsc") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "text/plain; charset=utf-8",
    }
}
