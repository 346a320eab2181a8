//! The network path to the bootstrap servers, below Kafka and TLS: does
//! each host name resolve, and does each server accept a TCP connection
//! within the time limit. Also the same two questions for the registry's
//! hosts. The TLS handshake on top is `tls`'s.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use eventbus::config::{MSK_IAM_PORT_INSIDE_AWS, MSK_IAM_PORT_OUTSIDE_AWS};

use super::checklist::Checklist;

/// One `host:port` of the bootstrap list.
#[derive(Clone, Debug)]
pub struct Server {
    /// As configured, for the report.
    pub text: String,
    /// Without the brackets of an IPv6 literal: the name a certificate must cover.
    pub host: String,
    pub port: u16,
}

impl Server {
    /// Splits `host:port` or `[v6]:port`; the core has already checked the form.
    pub fn parse(text: &str) -> Option<Self> {
        let (host, port) = text.rsplit_once(':')?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        Some(Server {
            text: text.to_string(),
            host: host.to_string(),
            port: port.parse().ok()?,
        })
    }
}

/// A server that accepted a TCP connection, and the address that did.
#[derive(Clone, Debug)]
pub struct Reached {
    pub server: Server,
    pub address: SocketAddr,
}

/// Resolves each distinct host once, reporting a line per host; the
/// servers whose host resolved come back with its addresses.
pub fn check_dns(
    servers: &[Server],
    timeout: Duration,
    checks: &mut Checklist,
) -> Vec<(Server, Vec<SocketAddr>)> {
    let mut answers: BTreeMap<&str, Option<Vec<SocketAddr>>> = BTreeMap::new();
    for server in servers {
        if answers.contains_key(server.host.as_str()) {
            continue;
        }
        let check = format!("dns {}", server.host);
        let answer = match resolve(&server.host, server.port, timeout) {
            Ok(addresses) => {
                let shown: Vec<String> = addresses.iter().map(|a| a.ip().to_string()).collect();
                checks.ok(&check, shown.join(", "));
                Some(addresses)
            }
            Err(reason) => {
                checks.fail(
                    &check,
                    format!("does not resolve: {reason}"),
                    "check the name against the broker list in the Event Catalog, and that \
                     this host asks a DNS server that knows it (the VPC's resolver, or the \
                     VPN's)",
                );
                None
            }
        };
        answers.insert(&server.host, answer);
    }
    servers
        .iter()
        .filter_map(|server| {
            let addresses = answers.get(server.host.as_str())?.clone()?;
            let addresses = addresses
                .into_iter()
                .map(|a| SocketAddr::new(a.ip(), server.port))
                .collect();
            Some((server.clone(), addresses))
        })
        .collect()
}

/// Connects to each resolved server, trying its addresses in turn, and
/// reports a line per server; those that accepted come back.
pub fn check_tcp(
    servers: &[Server],
    resolved: Vec<(Server, Vec<SocketAddr>)>,
    timeout: Duration,
    checks: &mut Checklist,
) -> Vec<Reached> {
    let mut reached = Vec::new();
    for server in servers {
        let check = format!("tcp {}", server.text);
        let Some((_, addresses)) = resolved.iter().find(|(s, _)| s.text == server.text) else {
            checks.skip(&check, "its host name did not resolve");
            continue;
        };
        match connect(addresses, timeout) {
            Ok((address, took)) => {
                checks.ok(
                    &check,
                    format!("connected to {address} in {} ms", took.as_millis()),
                );
                reached.push(Reached {
                    server: server.clone(),
                    address,
                });
            }
            Err(problem) => {
                let fix = problem.fix(server.port);
                checks.fail(&check, problem.reason, fix);
            }
        }
    }
    reached
}

/// The addresses of `host`, looked up on a thread of its own so that a
/// resolver that never answers cannot hold the run past `timeout`.
pub fn resolve(host: &str, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>, String> {
    let (sender, receiver) = mpsc::channel();
    let target = (host.to_string(), port);
    std::thread::spawn(move || {
        let answer = target
            .to_socket_addrs()
            .map(|addresses| addresses.collect::<Vec<_>>());
        let _ = sender.send(answer);
    });
    match receiver.recv_timeout(timeout) {
        Ok(Ok(addresses)) if !addresses.is_empty() => Ok(addresses),
        Ok(Ok(_)) => Err("no addresses".to_string()),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err(format!("no answer within {} s", timeout.as_secs_f64())),
    }
}

/// Why no address of a server accepted a connection.
pub struct ConnectProblem {
    pub reason: String,
    refused: bool,
}

impl ConnectProblem {
    /// What to do first, for a server on `port`.
    pub fn fix(&self, port: u16) -> String {
        let ports = format!(
            "the Event Bus listens on {MSK_IAM_PORT_INSIDE_AWS} from inside AWS and \
             {MSK_IAM_PORT_OUTSIDE_AWS} from outside"
        );
        if self.refused {
            format!("nothing accepts connections on port {port} there: check the port ({ports})")
        } else {
            format!(
                "a firewall, security group or network ACL likely drops the traffic: ask for \
                 TCP port {port} to be opened from this host ({ports})"
            )
        }
    }
}

/// The first of `addresses` to accept a connection within `timeout`, and
/// how long it took.
pub fn connect(
    addresses: &[SocketAddr],
    timeout: Duration,
) -> Result<(SocketAddr, Duration), ConnectProblem> {
    let mut reasons = Vec::new();
    let mut refused = true;
    for address in addresses {
        let started = Instant::now();
        match TcpStream::connect_timeout(address, timeout) {
            Ok(_) => return Ok((*address, started.elapsed())),
            Err(err) => {
                let reason = if err.kind() == std::io::ErrorKind::TimedOut {
                    format!("no answer within {} s", timeout.as_secs_f64())
                } else {
                    err.to_string()
                };
                refused &= err.kind() == std::io::ErrorKind::ConnectionRefused;
                reasons.push(format!("{address}: {reason}"));
            }
        }
    }
    Err(ConnectProblem {
        reason: reasons.join("; "),
        refused,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_split_at_the_last_colon_and_lose_ipv6_brackets() {
        let server = Server::parse("b-1.example:9098").unwrap();
        assert_eq!((server.host.as_str(), server.port), ("b-1.example", 9098));
        let server = Server::parse("[::1]:9198").unwrap();
        assert_eq!((server.host.as_str(), server.port), ("::1", 9198));
        assert!(Server::parse("no-port").is_none());
    }
}
