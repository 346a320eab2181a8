//! `Producer`: the core producer behind a JavaScript class whose every
//! waiting method returns a promise, so the event loop never waits on the
//! network.
//!
//! `new Producer(options)` checks the settings at once and then starts the
//! core producer on a thread of its own (schema fetches, the brokers' first
//! answer). That thread stays on as the producer's worker: it runs, in
//! order, whatever cannot be done on the JavaScript thread without waiting:
//!
//! - messages produced before start-up has finished, copied when `produce`
//!   was called;
//! - messages that met a full local queue, which wait there for room (up to
//!   the enqueue timeout) instead of on the event loop;
//! - `ready`, `flush` and `close`.
//!
//! While the worker holds messages, new ones queue behind them, so that
//! messages leave in the order they were produced. Otherwise `produce`
//! validates, encodes and queues on the JavaScript thread, reading the
//! caller's objects in place.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use eventbus::{Config, ConfigBuilder, DeliveryHandle, ErrorKind, TopicBinding};
use napi::bindgen_prelude::*;

use crate::errors;
use crate::owned::OwnedDatum;
use crate::settle::{Deferred, Settlement, Settler};
use crate::tape;

/// How long the worker sleeps between tries while the local queue is full.
const ROOM_POLL: Duration = Duration::from_millis(2);

/// One topic's pinned schemas.
#[napi(object)]
pub struct TopicSchemas {
    /// The registry id of the value schema.
    pub value_schema_id: u32,
    /// The registry id of the key schema, if the topic's messages have keys.
    pub key_schema_id: Option<u32>,
    /// A local copy of the value schema (`.avsc`): checked against the
    /// registry at start-up, and used alone when the registry is unreachable.
    pub value_schema_file: Option<String>,
    /// A local copy of the key schema.
    pub key_schema_file: Option<String>,
}

/// Settings for a producer. Any not given are read from the environment
/// the way every eventbus tool reads it (`EB_BOOTSTRAP_SERVERS` or
/// `KAFKA_HOST`, `EB_SECURITY_PROTOCOL`, `SCHEMA_REGISTRY_URL`,
/// `AWS_REGION`, `AWS_ROLE`, ...).
#[napi(object)]
pub struct ProducerOptions {
    /// Each topic this producer writes to, with its pinned schemas.
    pub topics: HashMap<String, TopicSchemas>,
    pub bootstrap_servers: Option<String>,
    /// `SASL_SSL` (the default, with MSK IAM tokens) or `PLAINTEXT`.
    pub security_protocol: Option<String>,
    pub aws_region: Option<String>,
    pub role_arn: Option<String>,
    pub role_session_name: Option<String>,
    pub sts_region: Option<String>,
    pub role_external_id: Option<String>,
    /// A CA bundle for the brokers' certificates (PEM).
    pub ssl_ca_location: Option<String>,
    pub schema_registry_url: Option<String>,
    pub schema_registry_path_prefix: Option<String>,
    /// `user:password`.
    pub schema_registry_basic_auth: Option<String>,
    pub schema_registry_ca_location: Option<String>,
    pub enable_idempotence: Option<bool>,
    /// Extra librdkafka properties; those that contradict the Event Bus
    /// rules are refused.
    pub kafka: Option<HashMap<String, String>>,
    /// How long start-up may take (default 10000).
    pub startup_timeout_ms: Option<u32>,
    /// How long a message may take to be delivered (default 120000).
    pub message_timeout_ms: Option<u32>,
    /// How long a message waits for room in a full local queue (default 5000).
    pub enqueue_timeout_ms: Option<u32>,
    /// The local queue's size in bytes (default 64 MiB).
    pub queue_max_bytes: Option<i64>,
}

/// What `produce` takes.
#[napi(object)]
pub struct Message<'a> {
    pub topic: String,
    /// The record, as a plain object.
    #[napi(ts_type = "Record<string, unknown>")]
    pub value: Unknown<'a>,
    /// The key, for topics bound to a key schema.
    #[napi(ts_type = "unknown")]
    pub key: Option<Unknown<'a>>,
    /// Header names and values (`Buffer` or string).
    #[napi(ts_type = "Record<string, Buffer | string>")]
    pub headers: Option<Object<'a>>,
}

/// Where a message was written.
#[napi(object, object_from_js = false)]
pub struct DeliveryReport {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// The message's timestamp from the broker, in milliseconds since the epoch.
    pub timestamp: Option<i64>,
}

type Headers = Vec<(String, Vec<u8>)>;

/// A message for the worker, with everything copied out of JavaScript.
struct Queued {
    topic: String,
    key: Option<OwnedDatum>,
    value: OwnedDatum,
    headers: Headers,
    deferred: Deferred,
}

enum Job {
    Produce(Queued),
    Ready(Deferred),
    Flush(Deferred, Duration),
    Close(Deferred, Duration),
}

/// What the JavaScript thread and the worker share.
struct Shared {
    /// The core producer, once started.
    producer: OnceLock<Arc<eventbus::Producer>>,
    /// Why start-up failed, if it did.
    failure: OnceLock<eventbus::Error>,
    /// Messages handed to the worker and not yet queued in librdkafka.
    backlog: AtomicUsize,
    /// Set by `close`: later calls are refused at once.
    closed: AtomicBool,
    enqueue_timeout: Duration,
}

/// Produces Avro events to the Event Bus with pinned schemas.
#[napi]
pub struct Producer {
    shared: Arc<Shared>,
    jobs: Sender<Job>,
    settler: Settler,
}

#[napi]
impl Producer {
    /// Checks the settings and starts the producer in the background: every
    /// topic's schemas are fetched, and with SASL_SSL the brokers asked to
    /// accept the credentials. `ready()` tells how that went; messages
    /// produced before then are sent once it is done.
    #[napi(constructor, catch_unwind)]
    pub fn new(env: Env, options: ProducerOptions) -> Result<Self> {
        let config = config(&options).map_err(|err| errors::throw(&env, err))?;
        if options.topics.is_empty() {
            return Err(errors::config(
                &env,
                "topics must map at least one topic to its schema ids",
            ));
        }
        let mut builder = eventbus::Producer::builder(config).enqueue_timeout(Duration::ZERO);
        for (topic, schemas) in options.topics {
            let mut binding = TopicBinding::new(topic, schemas.value_schema_id);
            if let Some(id) = schemas.key_schema_id {
                binding = binding.key_schema_id(id);
            }
            if let Some(path) = schemas.value_schema_file {
                binding = binding.value_schema_file(path);
            }
            if let Some(path) = schemas.key_schema_file {
                binding = binding.key_schema_file(path);
            }
            builder = builder.topic(binding);
        }
        if let Some(ms) = options.startup_timeout_ms {
            builder = builder.startup_timeout(millis(ms));
        }
        if let Some(ms) = options.message_timeout_ms {
            builder = builder.message_timeout(millis(ms));
        }
        if let Some(bytes) = options.queue_max_bytes {
            let bytes = u64::try_from(bytes)
                .map_err(|_| errors::config(&env, "queueMaxBytes must not be negative"))?;
            builder = builder.queue_max_bytes(bytes);
        }

        let shared = Arc::new(Shared {
            producer: OnceLock::new(),
            failure: OnceLock::new(),
            backlog: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            enqueue_timeout: options
                .enqueue_timeout_ms
                .map_or(eventbus::producer::DEFAULT_ENQUEUE_TIMEOUT, millis),
        });
        let settler = Settler::new(env.raw())?;
        let (jobs, receiver) = channel();
        let worker = Worker {
            shared: shared.clone(),
            settler: settler.clone(),
        };
        std::thread::Builder::new()
            .name("eventbus-node".into())
            .spawn(move || worker.run(builder, receiver))
            .map_err(|err| Error::from_reason(format!("could not start a thread: {err}")))?;
        Ok(Producer {
            shared,
            jobs,
            settler,
        })
    }

    /// Resolves once the producer has started, or rejects with the reason
    /// it could not (`schema_not_found`, `auth`, `registry_unavailable`, ...).
    #[napi(ts_return_type = "Promise<void>", catch_unwind)]
    pub fn ready<'env>(&self, env: &'env Env, this: This<'env>) -> Result<Unknown<'env>> {
        self.job(env, this, Job::Ready)
    }

    /// Validates and encodes the message, then queues it. Resolves to where
    /// the brokers wrote it; rejects with an `EventBusError` if it was
    /// invalid (`code` `invalid_record`, with `fieldPath`; nothing is sent)
    /// or could not be delivered (`code` `delivery`, with `retriable`).
    #[napi(ts_return_type = "Promise<DeliveryReport>", catch_unwind)]
    pub fn produce<'env>(
        &self,
        env: &'env Env,
        this: This<'env>,
        message: Message<'env>,
    ) -> Result<Unknown<'env>> {
        let (deferred, promise) = self.settler.promise(env.raw(), this.raw())?;
        let outcome = self.produce_now(env, &message, deferred);
        if let Some((deferred, err)) = outcome {
            self.settler.send(Settlement::Delivered(deferred, Err(err)));
        }
        // SAFETY: a promise handle made on this thread, in this call.
        Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), promise) })
    }

    /// Resolves once every message produced so far is delivered or has
    /// failed; rejects with `code` `timeout` if some are still queued after
    /// `timeoutMs` (default 30000). They stay queued.
    #[napi(ts_return_type = "Promise<void>", catch_unwind)]
    pub fn flush<'env>(
        &self,
        env: &'env Env,
        this: This<'env>,
        timeout_ms: Option<u32>,
    ) -> Result<Unknown<'env>> {
        let timeout = millis(timeout_ms.unwrap_or(30_000));
        self.job(env, this, |deferred| Job::Flush(deferred, timeout))
    }

    /// Delivers what is queued and stops the producer. Whatever is still
    /// undelivered after `timeoutMs` (default 30000) is reported failed to
    /// its own promise, and counted in the `timeout` error this rejects with.
    #[napi(ts_return_type = "Promise<void>", catch_unwind)]
    pub fn close<'env>(
        &self,
        env: &'env Env,
        this: This<'env>,
        timeout_ms: Option<u32>,
    ) -> Result<Unknown<'env>> {
        let timeout = millis(timeout_ms.unwrap_or(30_000));
        let promise = self.job(env, this, |deferred| Job::Close(deferred, timeout));
        self.shared.closed.store(true, Ordering::Release);
        promise
    }

    /// Whether `close` has been called.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// Messages produced whose delivery is not yet known.
    #[napi(getter)]
    pub fn in_flight(&self) -> u32 {
        let queued = self.shared.producer.get().map_or(0, |p| p.in_flight());
        (queued + self.shared.backlog.load(Ordering::Acquire)) as u32
    }
}

impl Producer {
    /// Produces on this thread when it can; otherwise copies the message
    /// for the worker. Returns the error to reject with, if any.
    fn produce_now(
        &self,
        env: &Env,
        message: &Message<'_>,
        deferred: Deferred,
    ) -> Option<(Deferred, eventbus::Error)> {
        if self.shared.closed.load(Ordering::Acquire) {
            return Some((deferred, closed_error()));
        }
        if let Some(err) = self.shared.failure.get() {
            return Some((deferred, err.clone()));
        }
        // `index.js` hands the value and the key over as tapes (see
        // `crate::tape`), written from the caller's objects.
        let malformed = || {
            eventbus::Error::Config(
                "produce was given a message that index.js did not write".into(),
            )
        };
        // Every tape's parts first: reading a property may run JavaScript,
        // which must not happen once a tape is being read.
        // SAFETY (all): handles passed to this call, on the JavaScript thread.
        let parts = |tape: napi::sys::napi_value| unsafe { tape::Parts::of(env.raw(), tape) };
        let key = message.key.as_ref().filter(|key| !is_nullish(key));
        let (Ok(value_parts), Ok(key_parts), Ok(header_parts)) = (
            parts(message.value.raw()),
            key.map(|key| parts(key.raw())).transpose(),
            message
                .headers
                .as_ref()
                .map(|headers| parts(headers.raw()))
                .transpose(),
        ) else {
            return Some((deferred, malformed()));
        };

        // SAFETY (all): the parts of this call's tapes, all taken above; no
        // JavaScript runs while a tape is read.
        let headers = match header_parts {
            None => Vec::new(),
            Some(parts) => match unsafe { parts.read(env.raw(), header_pairs) } {
                Ok(Ok(headers)) => headers,
                Ok(Err(err)) => return Some((deferred, err)),
                Err(tape::Malformed) => return Some((deferred, malformed())),
            },
        };
        // A key is small: it is copied out, so that the value's tape can be
        // read in place alongside it.
        let key = match key_parts {
            None => None,
            Some(parts) => match unsafe { parts.read(env.raw(), |key| OwnedDatum::copy(&key)) } {
                Ok(key) => Some(key),
                Err(tape::Malformed) => return Some((deferred, malformed())),
            },
        };

        let ready = self.shared.producer.get();
        let ready = ready.filter(|_| self.shared.backlog.load(Ordering::Acquire) == 0);
        let outcome = unsafe {
            value_parts.read(env.raw(), |value| {
                if let Some(producer) = ready {
                    let header_refs: Vec<(&str, &[u8])> = headers
                        .iter()
                        .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
                        .collect();
                    match producer.produce(&message.topic, key.as_ref(), value, &header_refs) {
                        Ok(handle) => return Ok(Ok(handle)),
                        // Wait for room on the worker, not here.
                        Err(err) if err.kind() == ErrorKind::QueueFull => {}
                        Err(err) => return Err(err),
                    }
                }
                Ok(Err(OwnedDatum::copy(&value)))
            })
        };
        let value = match outcome {
            Err(tape::Malformed) => return Some((deferred, malformed())),
            Ok(Err(err)) => return Some((deferred, err)),
            Ok(Ok(Ok(handle))) => {
                self.settle_on_delivery(handle, deferred);
                return None;
            }
            Ok(Ok(Err(copied))) => copied,
        };
        let queued = Queued {
            topic: message.topic.clone(),
            key,
            value,
            headers,
            deferred,
        };
        self.shared.backlog.fetch_add(1, Ordering::AcqRel);
        if let Err(returned) = self.jobs.send(Job::Produce(queued)) {
            self.shared.backlog.fetch_sub(1, Ordering::AcqRel);
            if let Job::Produce(queued) = returned.0 {
                return Some((queued.deferred, closed_error()));
            }
        }
        None
    }

    fn settle_on_delivery(&self, handle: DeliveryHandle, deferred: Deferred) {
        let settler = self.settler.clone();
        handle.on_complete(move |outcome| settler.send(Settlement::Delivered(deferred, outcome)));
    }

    /// Hands a job to the worker and returns its promise.
    fn job<'env>(
        &self,
        env: &'env Env,
        this: This<'env>,
        make: impl FnOnce(Deferred) -> Job,
    ) -> Result<Unknown<'env>> {
        let (deferred, promise) = self.settler.promise(env.raw(), this.raw())?;
        if let Err(returned) = self.jobs.send(make(deferred)) {
            // The worker has ended: the producer was closed.
            let deferred = match returned.0 {
                Job::Ready(d) | Job::Flush(d, _) | Job::Close(d, _) => d,
                Job::Produce(queued) => queued.deferred,
            };
            self.settler
                .send(Settlement::Done(deferred, Err(closed_error())));
        }
        // SAFETY: a promise handle made on this thread, in this call.
        Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), promise) })
    }
}

impl Drop for Producer {
    /// Runs on the JavaScript thread when the object is collected (never
    /// while a promise of it is pending) or when Node shuts down. Nothing is
    /// delivered here: that is `close`'s job. The worker ends as the job
    /// queue closes, and the core producer with it, which logs what it
    /// abandons.
    fn drop(&mut self) {
        self.settler.detach();
    }
}

/// The producer's own thread: start-up, then the jobs in order.
struct Worker {
    shared: Arc<Shared>,
    settler: Settler,
}

impl Worker {
    fn run(self, builder: eventbus::ProducerBuilder, jobs: Receiver<Job>) {
        let producer = match builder.build() {
            Ok(producer) => Arc::new(producer),
            Err(err) => {
                let _ = self.shared.failure.set(err.clone());
                self.refuse_all(jobs, err);
                return;
            }
        };
        let _ = self.shared.producer.set(producer.clone());
        while let Ok(job) = jobs.recv() {
            match job {
                Job::Produce(queued) => {
                    self.send(&producer, queued);
                    self.shared.backlog.fetch_sub(1, Ordering::AcqRel);
                }
                Job::Ready(deferred) => self.settler.send(Settlement::Done(deferred, Ok(()))),
                Job::Flush(deferred, timeout) => {
                    let outcome = producer.flush(timeout);
                    self.settler.send(Settlement::Done(deferred, outcome));
                }
                Job::Close(deferred, timeout) => {
                    let outcome = producer.close(timeout);
                    self.settler.send(Settlement::Done(deferred, outcome));
                    // Anything sent after close was refused at the call.
                    self.refuse_all(jobs, closed_error());
                    return;
                }
            }
        }
    }

    /// Queues one copied message, waiting up to the enqueue timeout for room.
    fn send(&self, producer: &eventbus::Producer, queued: Queued) {
        let headers: Vec<(&str, &[u8])> = queued
            .headers
            .iter()
            .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
            .collect();
        let deadline = Instant::now() + self.shared.enqueue_timeout;
        loop {
            match producer.produce(&queued.topic, queued.key.as_ref(), &queued.value, &headers) {
                Ok(handle) => {
                    let settler = self.settler.clone();
                    let deferred = queued.deferred;
                    handle.on_complete(move |outcome| {
                        settler.send(Settlement::Delivered(deferred, outcome))
                    });
                    return;
                }
                Err(err) if err.kind() == ErrorKind::QueueFull && Instant::now() < deadline => {
                    std::thread::sleep(ROOM_POLL);
                }
                Err(err) => {
                    let err = if err.kind() == ErrorKind::QueueFull {
                        eventbus::Error::QueueFull(format!(
                            "no room after waiting {:.1} s with {} messages queued",
                            self.shared.enqueue_timeout.as_secs_f64(),
                            producer.in_flight()
                        ))
                    } else {
                        err
                    };
                    self.settler
                        .send(Settlement::Delivered(queued.deferred, Err(err)));
                    return;
                }
            }
        }
    }

    /// Rejects every job still queued, and every later one until the
    /// producer object is gone, with `err`.
    fn refuse_all(&self, jobs: Receiver<Job>, err: eventbus::Error) {
        while let Ok(job) = jobs.recv() {
            let settlement = match job {
                Job::Produce(queued) => {
                    self.shared.backlog.fetch_sub(1, Ordering::AcqRel);
                    Settlement::Delivered(queued.deferred, Err(err.clone()))
                }
                Job::Ready(d) | Job::Flush(d, _) | Job::Close(d, _) => {
                    Settlement::Done(d, Err(err.clone()))
                }
            };
            self.settler.send(settlement);
        }
    }
}

fn closed_error() -> eventbus::Error {
    eventbus::Error::Closed("produce was called after close; create a new producer".into())
}

fn millis(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms))
}

fn is_nullish(value: &Unknown<'_>) -> bool {
    matches!(
        value.get_type(),
        Ok(ValueType::Null) | Ok(ValueType::Undefined)
    )
}

/// Header names and their bytes: `Buffer`s as they are, strings as UTF-8.
fn header_pairs(headers: tape::TapeDatum<'_>) -> eventbus::Result<Headers> {
    use eventbus::avro::{Datum, DatumKind};
    if headers.kind() != DatumKind::Object {
        return Err(eventbus::Error::Config(format!(
            "headers must be an object, found {}",
            headers.kind().describe()
        )));
    }
    let object = headers;
    let mut pairs = Vec::new();
    let walked = object.for_each_entry(|name, value| {
        let bytes = match value.kind() {
            DatumKind::Bytes => value.as_bytes().map(|b| b.into_owned()),
            DatumKind::String => value.as_str().map(|s| s.into_owned().into_bytes()),
            _ => None,
        };
        match bytes {
            Some(bytes) => {
                pairs.push((name.to_owned(), bytes));
                Ok(())
            }
            None => Err(eventbus::avro::RecordError::new(format!(
                "header {name:?} must be a Buffer or a string, found {}",
                value.kind().describe()
            ))),
        }
    });
    walked.map_err(|err| eventbus::Error::Config(err.problem().to_owned()))?;
    Ok(pairs)
}

/// The core configuration: the environment, overridden by the options.
fn config(options: &ProducerOptions) -> eventbus::Result<Config> {
    let mut builder = ConfigBuilder::from_lookup(|name| std::env::var(name).ok());
    type Setter = fn(ConfigBuilder, String) -> ConfigBuilder;
    let settings: [(&Option<String>, Setter); 12] = [
        (&options.bootstrap_servers, |b, v| b.bootstrap_servers(v)),
        (&options.security_protocol, |b, v| b.security_protocol(v)),
        (&options.aws_region, |b, v| b.aws_region(v)),
        (&options.role_arn, |b, v| b.role_arn(v)),
        (&options.role_session_name, |b, v| b.role_session_name(v)),
        (&options.sts_region, |b, v| b.sts_region(v)),
        (&options.role_external_id, |b, v| b.role_external_id(v)),
        (&options.ssl_ca_location, |b, v| b.ssl_ca_location(v)),
        (&options.schema_registry_url, |b, v| {
            b.schema_registry_url(v)
        }),
        (&options.schema_registry_path_prefix, |b, v| {
            b.schema_registry_path_prefix(v)
        }),
        (&options.schema_registry_basic_auth, |b, v| {
            b.schema_registry_basic_auth(v)
        }),
        (&options.schema_registry_ca_location, |b, v| {
            b.schema_registry_ca_location(v)
        }),
    ];
    for (value, set) in settings {
        if let Some(value) = value {
            builder = set(builder, value.clone());
        }
    }
    if let Some(enable) = options.enable_idempotence {
        builder = builder.enable_idempotence(enable);
    }
    for (key, value) in options.kafka.iter().flatten() {
        builder = builder.kafka_property(key, value);
    }
    builder.build()
}
