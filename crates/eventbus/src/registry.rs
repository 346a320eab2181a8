//! A read-only client for the Confluent Schema Registry REST API.
//!
//! It fetches schemas by id (`GET /schemas/ids/{id}`), resolves a subject
//! and version to an id (`GET /subjects/{subject}/versions/{version}`), and
//! lists a subject's versions (`GET /subjects/{subject}/versions`) for
//! compatibility checks. It never registers anything: the Event Bus blocks registry writes, and a
//! producer that tried would fail at the worst moment.
//!
//! Successful lookups are kept for the life of the client, since a
//! registered schema never changes; failures are not kept, and neither is a
//! subject's list of versions, which grows. Concurrent
//! lookups of one id share a single request. Connection failures and server
//! errors are retried with capped exponential backoff within a bounded
//! total time; client errors (4xx) are answered at once.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use serde::Deserialize;

use crate::config::{RegistryConfig, RetryPolicy};
use crate::error::{Error, Result};
use crate::schema::{CompiledSchema, SchemaPin};

/// A cloneable handle to one registry's schemas; clones share the cache.
#[derive(Clone)]
pub struct RegistryClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("urls", &self.inner.bases)
            .finish_non_exhaustive()
    }
}

struct Inner {
    /// Base URLs with the path prefix applied, without a trailing slash.
    bases: Vec<String>,
    /// The `Authorization` header value; never logged.
    authorization: Option<String>,
    agent: ureq::Agent,
    retry: RetryPolicy,
    by_id: Mutex<HashMap<u32, Slot>>,
    by_version: Mutex<HashMap<(String, u32), u32>>,
}

enum Slot {
    Ready(Arc<CompiledSchema>),
    /// A request is under way; later callers wait for its outcome.
    Pending(Arc<Pending>),
}

#[derive(Default)]
struct Pending {
    outcome: Mutex<Option<Result<Arc<CompiledSchema>>>>,
    done: Condvar,
}

impl Pending {
    fn wait(&self) -> Result<Arc<CompiledSchema>> {
        let mut outcome = lock(&self.outcome);
        loop {
            if let Some(result) = outcome.as_ref() {
                return result.clone();
            }
            outcome = self
                .done
                .wait(outcome)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn finish(&self, result: Result<Arc<CompiledSchema>>) {
        *lock(&self.outcome) = Some(result);
        self.done.notify_all();
    }
}

/// Hands the outcome of the single in-flight request to every waiter, even
/// if the fetch unwinds, so no waiter is left blocked.
struct Leader<'a> {
    client: &'a Inner,
    schema_id: u32,
    pending: Arc<Pending>,
    finished: bool,
}

impl Leader<'_> {
    fn finish(mut self, result: Result<Arc<CompiledSchema>>) -> Result<Arc<CompiledSchema>> {
        self.publish(result.clone());
        self.finished = true;
        result
    }

    fn publish(&self, result: Result<Arc<CompiledSchema>>) {
        let mut by_id = lock(&self.client.by_id);
        match &result {
            Ok(schema) => by_id.insert(self.schema_id, Slot::Ready(schema.clone())),
            // Errors are not cached: the next caller tries again.
            Err(_) => by_id.remove(&self.schema_id),
        };
        drop(by_id);
        self.pending.finish(result);
    }
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.publish(Err(Error::RegistryUnavailable {
                url: self.client.bases.join(","),
                reason: "the lookup was interrupted".into(),
            }));
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Deserialize)]
struct SchemaResponse {
    schema: String,
    #[serde(rename = "schemaType")]
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct VersionResponse {
    id: u32,
    version: Option<u32>,
    schema: String,
    #[serde(rename = "schemaType")]
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<serde_json::Value>,
}

/// How one HTTP exchange ended.
enum Reply {
    Body(String),
    Status(u16, String),
}

impl RegistryClient {
    pub fn new(config: &RegistryConfig) -> Result<Self> {
        if config.urls.is_empty() {
            return Err(Error::config("the schema registry needs at least one URL"));
        }
        let prefix = config
            .path_prefix
            .as_deref()
            .map(|p| p.trim_matches('/'))
            .filter(|p| !p.is_empty());
        let bases = config
            .urls
            .iter()
            .map(|url| {
                let url = url.trim_end_matches('/');
                match prefix {
                    Some(prefix) => format!("{url}/{prefix}"),
                    None => url.to_string(),
                }
            })
            .collect();
        let authorization = config.basic_auth.as_ref().map(|auth| {
            use base64::Engine;
            let raw = format!("{}:{}", auth.username, auth.password);
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(raw)
            )
        });
        let tls = match &config.ca_location {
            None => ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                .build(),
            Some(path) => {
                let pem = std::fs::read(path).map_err(|err| {
                    Error::config(format!(
                        "cannot read the registry CA file {}: {err}",
                        path.display()
                    ))
                })?;
                let certs = ureq::tls::parse_pem(&pem)
                    .filter_map(|item| match item {
                        Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
                        _ => None,
                    })
                    .collect::<Vec<_>>();
                if certs.is_empty() {
                    return Err(Error::config(format!(
                        "the registry CA file {} holds no PEM certificate",
                        path.display()
                    )));
                }
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::Specific(Arc::new(certs)))
                    .build()
            }
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(config.request_timeout))
            .tls_config(tls)
            .user_agent(concat!("eventbus/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(RegistryClient {
            inner: Arc::new(Inner {
                bases,
                authorization,
                agent,
                retry: config.retry,
                by_id: Mutex::new(HashMap::new()),
                by_version: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The schema registered under `schema_id`, from the cache when it has been seen.
    pub fn schema_by_id(&self, schema_id: u32) -> Result<Arc<CompiledSchema>> {
        let mut by_id = lock(&self.inner.by_id);
        let pending = match by_id.get(&schema_id) {
            Some(Slot::Ready(schema)) => return Ok(schema.clone()),
            Some(Slot::Pending(pending)) => pending.clone(),
            None => {
                let pending = Arc::new(Pending::default());
                by_id.insert(schema_id, Slot::Pending(pending.clone()));
                drop(by_id);
                let leader = Leader {
                    client: &self.inner,
                    schema_id,
                    pending,
                    finished: false,
                };
                let result = self.inner.fetch_id(schema_id);
                return leader.finish(result);
            }
        };
        drop(by_id);
        pending.wait()
    }

    /// Resolves a pin to its schema id and schema.
    pub fn fetch(&self, pin: &SchemaPin) -> Result<(u32, Arc<CompiledSchema>)> {
        match pin {
            SchemaPin::Id(schema_id) => Ok((*schema_id, self.schema_by_id(*schema_id)?)),
            SchemaPin::Version { subject, version } => {
                let key = (subject.clone(), *version);
                let known = lock(&self.inner.by_version).get(&key).copied();
                if let Some(schema_id) = known {
                    return Ok((schema_id, self.schema_by_id(schema_id)?));
                }
                let (schema_id, schema) =
                    self.inner.fetch_version(subject, &version.to_string())?;
                lock(&self.inner.by_version).insert(key, schema_id);
                self.remember(schema_id, schema.clone());
                Ok((schema_id, schema))
            }
            SchemaPin::Latest { subject } => {
                let (schema_id, schema) = self.inner.fetch_version(subject, "latest")?;
                self.remember(schema_id, schema.clone());
                Ok((schema_id, schema))
            }
        }
    }

    /// The version numbers registered under `subject`, oldest first. Asked
    /// afresh each time, since a subject gains versions.
    pub fn versions(&self, subject: &str) -> Result<Vec<u32>> {
        let what = format!("subject {subject:?}");
        let path = format!("/subjects/{}/versions", percent_encode(subject));
        let body = self.inner.get(&path, &what)?;
        let mut versions: Vec<u32> = serde_json::from_str(&body).map_err(|err| {
            self.inner.unavailable(format!(
                "unexpected answer for the versions of {what}: {err}"
            ))
        })?;
        versions.sort_unstable();
        Ok(versions)
    }

    /// Every version registered under `subject` with its schema, oldest
    /// first: what a new version is checked against. Each version is
    /// fetched once and cached like any pinned version.
    pub fn subject_history(&self, subject: &str) -> Result<Vec<(u32, Arc<CompiledSchema>)>> {
        self.versions(subject)?
            .into_iter()
            .map(|version| {
                let pin = SchemaPin::Version {
                    subject: subject.to_string(),
                    version,
                };
                let (_, schema) = self.fetch(&pin)?;
                Ok((version, schema))
            })
            .collect()
    }

    fn remember(&self, schema_id: u32, schema: Arc<CompiledSchema>) {
        lock(&self.inner.by_id)
            .entry(schema_id)
            .or_insert(Slot::Ready(schema));
    }

    /// The configured base URLs, for messages.
    pub fn urls(&self) -> &[String] {
        &self.inner.bases
    }
}

impl Inner {
    fn fetch_id(&self, schema_id: u32) -> Result<Arc<CompiledSchema>> {
        let what = format!("schema id {schema_id}");
        let body = self.get(&format!("/schemas/ids/{schema_id}"), &what)?;
        let response: SchemaResponse = serde_json::from_str(&body)
            .map_err(|err| self.unavailable(format!("unexpected answer for {what}: {err}")))?;
        let origin = format!("{what} from the registry");
        check_supported(
            &origin,
            response.schema_type.as_deref(),
            &response.references,
        )?;
        let schema = CompiledSchema::parse(&response.schema, &origin)?;
        tracing::info!(
            schema_id,
            fingerprint = schema.fingerprint(),
            "fetched schema"
        );
        Ok(Arc::new(schema))
    }

    fn fetch_version(&self, subject: &str, version: &str) -> Result<(u32, Arc<CompiledSchema>)> {
        let what = format!("subject {subject:?} version {version}");
        let path = format!("/subjects/{}/versions/{version}", percent_encode(subject));
        let body = self.get(&path, &what)?;
        let response: VersionResponse = serde_json::from_str(&body)
            .map_err(|err| self.unavailable(format!("unexpected answer for {what}: {err}")))?;
        let origin = format!("{what} (schema id {}) from the registry", response.id);
        check_supported(
            &origin,
            response.schema_type.as_deref(),
            &response.references,
        )?;
        let schema = CompiledSchema::parse(&response.schema, &origin)?;
        tracing::info!(
            subject,
            version = response.version,
            schema_id = response.id,
            fingerprint = schema.fingerprint(),
            "resolved schema version"
        );
        Ok((response.id, Arc::new(schema)))
    }

    fn unavailable(&self, reason: String) -> Error {
        Error::RegistryUnavailable {
            url: self.bases.join(","),
            reason,
        }
    }

    /// GETs `path` from the first base URL that answers, retrying transient
    /// failures until the retry policy's time runs out.
    fn get(&self, path: &str, what: &str) -> Result<String> {
        let started = Instant::now();
        let mut backoff = self.retry.initial_backoff;
        loop {
            let mut last_failure = String::new();
            for base in &self.bases {
                let url = format!("{base}{path}");
                match self.exchange(&url) {
                    Ok(Reply::Body(body)) => return Ok(body),
                    Ok(Reply::Status(status, body)) if status < 500 => {
                        return Err(self.client_error(status, &body, base, what));
                    }
                    Ok(Reply::Status(status, _)) => {
                        last_failure = format!("{url} answered HTTP {status}");
                    }
                    Err(reason) => last_failure = format!("{url}: {reason}"),
                }
            }
            let elapsed = started.elapsed();
            if elapsed + backoff > self.retry.total_time {
                return Err(self.unavailable(format!(
                    "{last_failure} (gave up on {what} after {:.1}s)",
                    elapsed.as_secs_f64()
                )));
            }
            tracing::warn!(
                reason = %last_failure,
                retry_in_ms = backoff.as_millis() as u64,
                "schema registry request failed; retrying"
            );
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(self.retry.max_backoff);
        }
    }

    fn exchange(&self, url: &str) -> std::result::Result<Reply, String> {
        tracing::debug!(url, "schema registry request");
        let mut request = self.agent.get(url).header(
            "Accept",
            "application/vnd.schemaregistry.v1+json, application/json",
        );
        if let Some(authorization) = &self.authorization {
            request = request.header("Authorization", authorization);
        }
        let mut response = request.call().map_err(|err| err.to_string())?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(16 * 1024 * 1024)
            .read_to_string()
            .map_err(|err| err.to_string())?;
        Ok(if status == 200 {
            Reply::Body(body)
        } else {
            Reply::Status(status, body)
        })
    }

    fn client_error(&self, status: u16, body: &str, base: &str, what: &str) -> Error {
        let message = serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or_else(|| format!("HTTP {status}"));
        match status {
            404 => Error::SchemaNotFound {
                what: what.to_string(),
                url: base.to_string(),
                hint: format!(
                    "the registry said {message:?}; check the id with the Event Bus team and \
                     that SCHEMA_REGISTRY_URL points at the right environment"
                ),
            },
            401 | 403 => Error::Auth(format!(
                "the schema registry at {base} refused the request for {what} (HTTP {status}: \
                 {message}); check the registry credentials"
            )),
            _ => Error::config(format!(
                "the schema registry at {base} rejected the request for {what} (HTTP {status}: \
                 {message})"
            )),
        }
    }
}

fn check_supported(
    origin: &str,
    schema_type: Option<&str>,
    references: &[serde_json::Value],
) -> Result<()> {
    if let Some(kind) = schema_type.filter(|kind| !kind.eq_ignore_ascii_case("AVRO")) {
        return Err(Error::InvalidSchema {
            origin: origin.to_string(),
            reason: format!("it is a {kind} schema; Event Bus events are Avro"),
        });
    }
    if !references.is_empty() {
        // Limitation: schemas that import other subjects by reference are refused
        // until a producer needs one; Event Bus schemas are self-contained today.
        return Err(Error::InvalidSchema {
            origin: origin.to_string(),
            reason: "it refers to other registered schemas, which this library does not \
                     resolve yet; ask for a self-contained schema"
                .into(),
        });
    }
    Ok(())
}

/// Percent-encodes a subject for use as one path segment.
fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
