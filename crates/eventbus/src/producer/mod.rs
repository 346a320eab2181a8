//! [`Producer`]: validated, pinned-schema production through librdkafka.
//!
//! Topics are bound to their key and value schemas when the producer is
//! built, and every binding is resolved then, so a wrong schema id fails
//! before the first event rather than in the middle of traffic. Each
//! `produce` validates and encodes on the caller's thread, straight into a
//! reused buffer, and only a fully encoded message is queued: an invalid
//! record is refused with nothing sent and the producer stays usable.
//!
//! Delivery is explicit. `flush` and `close` deliver or report every queued
//! message; a producer dropped without `close` logs how many messages it
//! abandons, because librdkafka purges them.

mod context;
mod delivery;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, Producer as _, PurgeConfig, ThreadedProducer};
use rdkafka::util::Timeout;

use self::context::{EventBusContext, delivery_error};
pub use self::delivery::{DeliveryHandle, DeliveryReport};
use self::delivery::{DeliverySlot, InFlight, SlotPool};
use crate::avro::Datum;
use crate::config::{Config, SecurityProtocol};
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::iam::TokenProvider;
use crate::registry::RegistryClient;
use crate::schema::SchemaPin;
use crate::serializer::Serializer;

/// librdkafka's own default local queue is 1 GiB, far too much inside a web
/// worker; this bounds what a producer can hold while brokers are slow.
pub const DEFAULT_QUEUE_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// How long one message may wait for acknowledgement, retries included.
pub const DEFAULT_MESSAGE_TIMEOUT: Duration = Duration::from_secs(120);

/// Delivery slots kept for reuse; beyond this many, finished slots are freed.
const SLOT_POOL_CAPACITY: usize = 4096;

/// How long `build` waits to learn whether the brokers accept our credentials.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// How long `produce` waits for room when the local queue is full.
pub const DEFAULT_ENQUEUE_TIMEOUT: Duration = Duration::from_secs(5);

/// A topic and the schemas its keys and values are written with.
#[derive(Clone, Debug)]
pub struct TopicBinding {
    topic: String,
    value: SchemaPin,
    value_schema_file: Option<PathBuf>,
    key: Option<SchemaPin>,
    key_schema_file: Option<PathBuf>,
}

impl TopicBinding {
    /// Binds `topic` to the value schema with `value_schema_id`.
    pub fn new(topic: impl Into<String>, value_schema_id: u32) -> Self {
        TopicBinding::with_value_pin(topic, SchemaPin::Id(value_schema_id))
    }

    pub fn with_value_pin(topic: impl Into<String>, value: SchemaPin) -> Self {
        TopicBinding {
            topic: topic.into(),
            value,
            value_schema_file: None,
            key: None,
            key_schema_file: None,
        }
    }

    /// Keys of this topic are Avro too, with this schema id.
    pub fn key_schema_id(self, key_schema_id: u32) -> Self {
        self.key_pin(SchemaPin::Id(key_schema_id))
    }

    pub fn key_pin(mut self, key: SchemaPin) -> Self {
        self.key = Some(key);
        self
    }

    /// A local `.avsc` copy of the value schema (see [`Serializer`]).
    pub fn value_schema_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.value_schema_file = Some(path.into());
        self
    }

    /// A local `.avsc` copy of the key schema.
    pub fn key_schema_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.key_schema_file = Some(path.into());
        self
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }
}

/// The serializers of one bound topic.
struct TopicSerializers {
    /// The topic's name, shared with each message's delivery slot.
    name: Arc<str>,
    value: Serializer,
    key: Option<Serializer>,
}

/// Builds a [`Producer`]; see [`Producer::builder`].
pub struct ProducerBuilder {
    config: Config,
    topics: Vec<TopicBinding>,
    registry: Option<RegistryClient>,
    tokens: Option<Arc<TokenProvider>>,
    startup_timeout: Duration,
    allow_latest: bool,
    queue_max_bytes: u64,
    message_timeout: Duration,
    enqueue_timeout: Duration,
}

impl ProducerBuilder {
    /// Binds a topic to its schemas. Only bound topics can be produced to.
    pub fn topic(mut self, binding: TopicBinding) -> Self {
        self.topics.push(binding);
        self
    }

    /// Shares an existing registry client (and its cache) instead of making
    /// one from the configuration.
    pub fn registry(mut self, registry: RegistryClient) -> Self {
        self.registry = Some(registry);
        self
    }

    /// Signs MSK IAM tokens with this provider instead of one made from the
    /// configuration's AWS identity (with `SASL_SSL` only).
    pub fn token_provider(mut self, tokens: Arc<TokenProvider>) -> Self {
        self.tokens = Some(tokens);
        self
    }

    /// With `SASL_SSL`, how long `build` waits for the brokers to accept our
    /// credentials (default 10 s). A refusal in that time fails `build` with
    /// the broker's reason; silence only logs a warning, since brokers that
    /// are briefly unreachable should not stop an application starting.
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// Accepts `latest` version pins (refused by default).
    pub fn allow_latest(mut self, allow: bool) -> Self {
        self.allow_latest = allow;
        self
    }

    /// The most memory queued messages may take (default 64 MiB).
    pub fn queue_max_bytes(mut self, bytes: u64) -> Self {
        self.queue_max_bytes = bytes;
        self
    }

    /// How long a message may wait for acknowledgement (default 120 s).
    pub fn message_timeout(mut self, timeout: Duration) -> Self {
        self.message_timeout = timeout;
        self
    }

    /// How long `produce` waits for room in a full queue (default 5 s).
    pub fn enqueue_timeout(mut self, timeout: Duration) -> Self {
        self.enqueue_timeout = timeout;
        self
    }

    /// The librdkafka configuration the producer will be created with: the
    /// producer defaults (`acks=all`, a bounded queue and message timeout),
    /// then the configuration's properties (the Event Bus rules, then the
    /// caller's extra properties, which may override the defaults).
    pub fn librdkafka_config(&self) -> rdkafka::ClientConfig {
        let mut client_config = rdkafka::ClientConfig::new();
        client_config
            .set("client.id", concat!("eventbus/", env!("CARGO_PKG_VERSION")))
            .set("acks", "all")
            .set("linger.ms", "5")
            .set(
                "message.timeout.ms",
                self.message_timeout.as_millis().to_string(),
            )
            .set(
                "queue.buffering.max.kbytes",
                (self.queue_max_bytes / 1024).max(1).to_string(),
            );
        for (key, value) in self.config.librdkafka_properties() {
            client_config.set(key, value);
        }
        client_config
    }

    /// Resolves every bound schema, then creates the librdkafka producer.
    pub fn build(self) -> Result<Producer> {
        if self.topics.is_empty() {
            return Err(Error::config(
                "bind at least one topic to its schemas before building a producer",
            ));
        }
        let registry = match (self.registry.clone(), self.config.registry()) {
            (Some(registry), _) => Some(registry),
            (None, Some(settings)) => Some(RegistryClient::new(settings)?),
            (None, None) => None,
        };
        let mut topics = HashMap::new();
        for binding in &self.topics {
            let serializer = |pin: &SchemaPin, file: &Option<PathBuf>| {
                let mut builder = Serializer::builder()
                    .pin(pin.clone())
                    .allow_latest(self.allow_latest);
                if let Some(file) = file {
                    builder = builder.local_schema_file(file);
                }
                if let Some(registry) = &registry {
                    builder = builder.registry(registry.clone());
                }
                builder.build()
            };
            let value = serializer(&binding.value, &binding.value_schema_file)?;
            let key = match &binding.key {
                Some(pin) => Some(serializer(pin, &binding.key_schema_file)?),
                None => None,
            };
            tracing::info!(
                topic = %binding.topic,
                value_schema_id = value.schema_id(),
                key_schema_id = key.as_ref().map(Serializer::schema_id),
                "topic bound"
            );
            if topics
                .insert(
                    binding.topic.clone(),
                    TopicSerializers {
                        name: binding.topic.as_str().into(),
                        value,
                        key,
                    },
                )
                .is_some()
            {
                return Err(Error::config(format!(
                    "topic {:?} is bound twice",
                    binding.topic
                )));
            }
        }

        let client_config = self.librdkafka_config();
        let in_flight = Arc::new(InFlight::default());
        let slots = Arc::new(SlotPool::new(SLOT_POOL_CAPACITY));
        let context = EventBusContext {
            connection: Connection::new(&self.config, self.tokens.clone())?,
            in_flight: in_flight.clone(),
            slots: slots.clone(),
        };
        let kafka: ThreadedProducer<EventBusContext> =
            client_config
                .create_with_context(context)
                .map_err(|err| Error::config(format!("librdkafka refused the settings: {err}")))?;
        if self.config.security_protocol() == SecurityProtocol::SaslSsl {
            check_authentication(&kafka, self.startup_timeout)?;
        }
        tracing::info!(
            bootstrap_servers = %self.config.bootstrap_servers().join(","),
            security_protocol = %self.config.security_protocol(),
            topics = topics.len(),
            "producer ready"
        );
        Ok(Producer {
            kafka,
            topics,
            slots,
            in_flight,
            closed: AtomicBool::new(false),
            enqueue_timeout: self.enqueue_timeout,
        })
    }
}

/// Asks the brokers for metadata, which needs a successful authentication,
/// and turns a refusal into an `auth` error carrying the broker's reason.
fn check_authentication(
    kafka: &ThreadedProducer<EventBusContext>,
    timeout: Duration,
) -> Result<()> {
    let answered = kafka.client().fetch_metadata(None, timeout);
    if let Some(refused) = kafka.context().connection.auth_failure() {
        return Err(refused);
    }
    match answered {
        Ok(_) => {
            kafka.context().connection.authenticated();
            tracing::info!("authenticated with the brokers");
        }
        Err(err) => tracing::warn!(
            error = %err,
            "no answer from the brokers yet; messages wait in the queue until they answer"
        ),
    }
    Ok(())
}

thread_local! {
    /// Encode buffers reused across calls on each thread; librdkafka copies
    /// the bytes when it queues the message.
    static BUFFERS: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Produces Avro-encoded events to bound topics. Safe to share between threads.
pub struct Producer {
    kafka: ThreadedProducer<EventBusContext>,
    topics: HashMap<String, TopicSerializers>,
    slots: Arc<SlotPool>,
    in_flight: Arc<InFlight>,
    closed: AtomicBool,
    enqueue_timeout: Duration,
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("topics", &self.topics.keys().collect::<Vec<_>>())
            .field("in_flight", &self.in_flight())
            .finish_non_exhaustive()
    }
}

impl Producer {
    pub fn builder(config: Config) -> ProducerBuilder {
        ProducerBuilder {
            config,
            topics: Vec::new(),
            registry: None,
            tokens: None,
            startup_timeout: DEFAULT_STARTUP_TIMEOUT,
            allow_latest: false,
            queue_max_bytes: DEFAULT_QUEUE_MAX_BYTES,
            message_timeout: DEFAULT_MESSAGE_TIMEOUT,
            enqueue_timeout: DEFAULT_ENQUEUE_TIMEOUT,
        }
    }

    /// Validates and encodes `key` and `value` with the topic's pinned
    /// schemas, then queues the message. Nothing is queued if either is
    /// invalid. The handle resolves when the brokers acknowledge the message
    /// or it fails.
    pub fn produce<K: Datum, V: Datum>(
        &self,
        topic: &str,
        key: Option<K>,
        value: V,
        headers: &[(&str, &[u8])],
    ) -> Result<DeliveryHandle> {
        self.produce_with(
            topic,
            key.map(|key| move |s: &Serializer, out: &mut Vec<u8>| s.encode_into(key, out)),
            |s, out| s.encode_into(value, out),
            headers,
        )
    }

    /// [`produce`](Self::produce) without a key or headers.
    pub fn produce_value<V: Datum>(&self, topic: &str, value: V) -> Result<DeliveryHandle> {
        self.produce::<V, V>(topic, None, value, &[])
    }

    /// [`produce`](Self::produce) for serde values: the application's own
    /// `#[derive(Serialize)]` structs, encoded with no JSON in between (see
    /// [`Serializer::encode_serialize`] for how Rust types meet Avro's).
    pub fn produce_serialize<K, V>(
        &self,
        topic: &str,
        key: Option<&K>,
        value: &V,
        headers: &[(&str, &[u8])],
    ) -> Result<DeliveryHandle>
    where
        K: serde::Serialize + ?Sized,
        V: serde::Serialize + ?Sized,
    {
        self.produce_with(
            topic,
            key.map(|key| |s: &Serializer, out: &mut Vec<u8>| s.encode_serialize_into(key, out)),
            |s, out| s.encode_serialize_into(value, out),
            headers,
        )
    }

    /// Encodes with the topic's serializers into this thread's buffers and
    /// queues the message.
    fn produce_with<K, V>(
        &self,
        topic: &str,
        encode_key: Option<K>,
        encode_value: V,
        headers: &[(&str, &[u8])],
    ) -> Result<DeliveryHandle>
    where
        K: FnOnce(&Serializer, &mut Vec<u8>) -> Result<()>,
        V: FnOnce(&Serializer, &mut Vec<u8>) -> Result<()>,
    {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::Closed(
                "produce was called after close; create a new producer".into(),
            ));
        }
        let serializers = self.topics.get(topic).ok_or_else(|| self.unbound(topic))?;
        BUFFERS.with(|buffers| match buffers.try_borrow_mut() {
            Ok(mut buffers) => {
                let (key_buffer, value_buffer) = &mut *buffers;
                self.encode_and_send(
                    topic,
                    serializers,
                    encode_key,
                    encode_value,
                    headers,
                    key_buffer,
                    value_buffer,
                )
            }
            // Only reachable if a host value's accessors call back into
            // produce on the same thread; fresh buffers keep that working.
            Err(_) => self.encode_and_send(
                topic,
                serializers,
                encode_key,
                encode_value,
                headers,
                &mut Vec::new(),
                &mut Vec::new(),
            ),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn encode_and_send<K, V>(
        &self,
        topic: &str,
        serializers: &TopicSerializers,
        encode_key: Option<K>,
        encode_value: V,
        headers: &[(&str, &[u8])],
        key_buffer: &mut Vec<u8>,
        value_buffer: &mut Vec<u8>,
    ) -> Result<DeliveryHandle>
    where
        K: FnOnce(&Serializer, &mut Vec<u8>) -> Result<()>,
        V: FnOnce(&Serializer, &mut Vec<u8>) -> Result<()>,
    {
        value_buffer.clear();
        encode_value(&serializers.value, value_buffer)?;
        let has_key = match (encode_key, &serializers.key) {
            (None, _) => false,
            (Some(encode_key), Some(serializer)) => {
                key_buffer.clear();
                encode_key(serializer, key_buffer)?;
                true
            }
            (Some(_), None) => {
                return Err(Error::config(format!(
                    "topic {topic:?} has no key schema bound; bind one with key_schema_id to \
                     send keys"
                )));
            }
        };

        let slot = self.slots.take();
        let mut record = BaseRecord::with_opaque_to(topic, slot.clone()).payload(&value_buffer[..]);
        if has_key {
            record = record.key(&key_buffer[..]);
        }
        if !headers.is_empty() {
            let mut owned = OwnedHeaders::new_with_capacity(headers.len());
            for (name, bytes) in headers {
                owned = owned.insert(Header {
                    key: name,
                    value: Some(*bytes),
                });
            }
            record = record.headers(owned);
        }
        self.send(record)?;
        Ok(DeliveryHandle::new(serializers.name.clone(), slot))
    }

    /// Queues a record, waiting up to the enqueue timeout while the local
    /// queue is full.
    fn send(&self, mut record: BaseRecord<'_, [u8], [u8], Arc<DeliverySlot>>) -> Result<()> {
        // Read the clock only once the queue is full: it costs more than
        // the rest of a send.
        let mut deadline = None;
        self.in_flight.queue();
        loop {
            match self.kafka.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), returned))
                    if Instant::now()
                        < *deadline
                            .get_or_insert_with(|| Instant::now() + self.enqueue_timeout) =>
                {
                    record = returned;
                    // The polling thread frees room as reports arrive.
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err((error, _)) => {
                    self.in_flight.settle();
                    if let KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull) = error {
                        return Err(Error::QueueFull(format!(
                            "no room after waiting {:.1} s with {} messages queued",
                            self.enqueue_timeout.as_secs_f64(),
                            self.in_flight()
                        )));
                    }
                    return Err(delivery_error(&error));
                }
            }
        }
    }

    fn unbound(&self, topic: &str) -> Error {
        let mut bound: Vec<&str> = self.topics.keys().map(String::as_str).collect();
        bound.sort_unstable();
        Error::config(format!(
            "topic {topic:?} is not bound to a schema; bound topics: {}",
            bound.join(", ")
        ))
    }

    /// Messages queued or in flight whose delivery report has not arrived.
    pub fn in_flight(&self) -> usize {
        self.in_flight.count()
    }

    /// The serializer for a bound topic's values (for decoding, or encoding
    /// ahead of time).
    pub fn value_serializer(&self, topic: &str) -> Option<&Serializer> {
        self.topics.get(topic).map(|t| &t.value)
    }

    /// The serializer for a bound topic's keys, if it has a key schema.
    pub fn key_serializer(&self, topic: &str) -> Option<&Serializer> {
        self.topics.get(topic).and_then(|t| t.key.as_ref())
    }

    /// Waits until every queued message is delivered or has failed. On
    /// timeout, the messages stay queued and are reported later.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        if self.drain(timeout) {
            return Ok(());
        }
        Err(Error::Timeout(format!(
            "{} messages still undelivered after {:.1} s",
            self.in_flight(),
            timeout.as_secs_f64()
        )))
    }

    /// Sends what is queued at once (no lingering) and waits until every
    /// delivery report has arrived, or `timeout` passes. Returns whether
    /// everything was reported.
    ///
    /// rdkafka's own flush waits on a poll of its own in 100 ms steps, while
    /// the polling thread is the one that receives the reports, so a flush
    /// of a few messages would take 100 ms; the in-flight count, which the
    /// reports bring down, tells sooner.
    fn drain(&self, timeout: Duration) -> bool {
        const STEP: Duration = Duration::from_millis(1);
        let deadline = Instant::now() + timeout;
        loop {
            if self.in_flight() == 0 {
                return true;
            }
            // A zero-time flush only asks librdkafka to send without lingering.
            let _ = self.kafka.flush(Timeout::After(Duration::ZERO));
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return self.in_flight() == 0;
            }
            std::thread::sleep(left.min(STEP));
        }
    }

    /// Stops accepting messages and delivers what is queued. Whatever is
    /// still undelivered at the timeout is purged and reported failed
    /// through its handle, and the error says how many.
    pub fn close(&self, timeout: Duration) -> Result<()> {
        self.closed.store(true, Ordering::Release);
        self.drain(timeout);
        // Reports may still have been arriving when the flush gave up.
        let abandoned = self.in_flight();
        if abandoned == 0 {
            tracing::info!("producer closed");
            return Ok(());
        }
        self.kafka.purge(PurgeConfig::default().queue().inflight());
        // Purged messages get their reports on the next poll.
        self.drain(Duration::from_secs(1));
        tracing::error!(abandoned, "producer closed with undelivered messages");
        Err(Error::Timeout(format!(
            "close gave up after {:.1} s; {abandoned} messages were not delivered and are \
             reported failed through their delivery handles",
            timeout.as_secs_f64()
        )))
    }

    /// Whether `close` has been called.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        let abandoned = self.in_flight();
        if abandoned > 0 {
            tracing::error!(
                abandoned,
                "producer dropped with undelivered messages; they are purged, not sent. Call \
                 close (or flush) before dropping a producer"
            );
        }
    }
}
