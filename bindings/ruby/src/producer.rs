//! `EventBus::Producer`: the core producer behind a Ruby object. The
//! keyword-argument front door, the block form and the at-exit close are in
//! `lib/eventbus/producer.rb`; this file converts arguments, releases the GVL
//! around everything that waits, and guards against use after `fork`.
//!
//! Fork: librdkafka's threads do not survive `fork`, so a producer made in a
//! parent is dead weight in the child. Every call checks the process id and
//! raises `EventBus::ClosedError` in a child, and the child never calls into
//! the inherited client, not even to free it: destroying it would wait for
//! threads that only exist in the parent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eventbus::{Config, ConfigBuilder, ErrorKind, Producer, TopicBinding};
use magnus::{Error, RArray, RHash, RModule, RString, Ruby, Value, function, method, prelude::*};

use crate::datum::RubyDatum;
use crate::delivery::RbDeliveryHandle;
use crate::errors::{self, guard};
use crate::gvl;

/// How long one GVL-free wait lasts before checking for a Ruby interrupt.
const WAIT_SLICE: Duration = Duration::from_millis(100);

#[magnus::wrap(class = "EventBus::Producer", free_immediately, size)]
pub struct RbProducer {
    /// `None` only while being freed in a forked child (see `Drop`).
    producer: Option<Arc<Producer>>,
    /// The process that created the client.
    owner_pid: u32,
    /// How long `produce` waits for room in a full local queue; the wait
    /// happens here, without the GVL, rather than inside the core.
    enqueue_timeout: Duration,
}

/// One `topics:` entry as `lib/eventbus/producer.rb` hands it over.
type TopicArgs = (String, u32, Option<u32>, Option<String>, Option<String>);

impl RbProducer {
    fn new(
        ruby: &Ruby,
        topics: Vec<TopicArgs>,
        settings: Vec<(String, String)>,
        kafka_properties: Vec<(String, String)>,
        timeouts: RHash,
    ) -> Result<Self, Error> {
        guard(ruby, || {
            let seconds = |name: &str| -> Result<Option<Duration>, Error> {
                let value: Option<f64> = timeouts.lookup(name)?;
                value.map(|s| duration(ruby, name, s)).transpose()
            };
            let startup_timeout = seconds("startup_timeout")?;
            let message_timeout = seconds("message_timeout")?;
            let enqueue_timeout =
                seconds("enqueue_timeout")?.unwrap_or(eventbus::producer::DEFAULT_ENQUEUE_TIMEOUT);
            let queue_max_bytes: Option<u64> = timeouts.lookup("queue_max_bytes")?;

            let config = config(settings, kafka_properties).map_err(|e| errors::raise(ruby, e))?;
            let mut builder = Producer::builder(config).enqueue_timeout(Duration::ZERO);
            for (topic, value_schema_id, key_schema_id, value_file, key_file) in topics {
                let mut binding = TopicBinding::new(topic, value_schema_id);
                if let Some(key_schema_id) = key_schema_id {
                    binding = binding.key_schema_id(key_schema_id);
                }
                if let Some(path) = value_file {
                    binding = binding.value_schema_file(path);
                }
                if let Some(path) = key_file {
                    binding = binding.key_schema_file(path);
                }
                builder = builder.topic(binding);
            }
            if let Some(timeout) = startup_timeout {
                builder = builder.startup_timeout(timeout);
            }
            if let Some(timeout) = message_timeout {
                builder = builder.message_timeout(timeout);
            }
            if let Some(bytes) = queue_max_bytes {
                builder = builder.queue_max_bytes(bytes);
            }

            // Schema fetches and the brokers' first answer take network time.
            let producer = gvl::without_gvl(ruby, |_cancelled| builder.build())?
                .map_err(|err| errors::raise(ruby, err))?;
            Ok(RbProducer {
                producer: Some(Arc::new(producer)),
                owner_pid: std::process::id(),
                enqueue_timeout,
            })
        })
    }

    /// The client, unless this is a forked child of the process that made it.
    fn client(&self, ruby: &Ruby) -> Result<&Arc<Producer>, Error> {
        if self.forked() {
            return Err(errors::raise(
                ruby,
                eventbus::Error::Closed(format!(
                    "this producer was created in process {} and cannot be used after fork; \
                     create producers in each worker after it forks (Puma: on_worker_boot)",
                    self.owner_pid
                )),
            ));
        }
        self.producer
            .as_ref()
            .ok_or_else(|| errors::generic(ruby, "the producer is being freed"))
    }

    fn forked(&self) -> bool {
        std::process::id() != self.owner_pid
    }

    fn produce(
        ruby: &Ruby,
        rb_self: &Self,
        topic: RString,
        value: Value,
        key: Value,
        headers: RArray,
    ) -> Result<RbDeliveryHandle, Error> {
        guard(ruby, || {
            let producer = rb_self.client(ruby)?;
            let topic = topic.to_string()?;
            let key = (!key.is_nil()).then(|| RubyDatum::new(key));
            let headers = header_pairs(headers)?;
            let header_refs: Vec<(&str, &[u8])> = headers
                .iter()
                .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
                .collect();

            let deadline = Instant::now() + rb_self.enqueue_timeout;
            loop {
                match producer.produce(&topic, key, RubyDatum::new(value), &header_refs) {
                    Ok(handle) => return Ok(RbDeliveryHandle::new(handle)),
                    Err(err) if err.kind() == ErrorKind::QueueFull && Instant::now() < deadline => {
                        // Room frees up as the brokers acknowledge; wait for
                        // it without holding up other Ruby threads.
                        let producer = producer.clone();
                        gvl::without_gvl(ruby, move |_cancelled| {
                            let _ = producer.flush(Duration::from_millis(10));
                        })?;
                    }
                    Err(err) => return Err(errors::raise(ruby, err)),
                }
            }
        })
    }

    fn flush(ruby: &Ruby, rb_self: &Self, timeout: f64) -> Result<(), Error> {
        guard(ruby, || {
            let producer = rb_self.client(ruby)?.clone();
            let timeout = duration(ruby, "timeout", timeout)?;
            let outcome = gvl::without_gvl(ruby, move |cancelled| {
                let deadline = Instant::now() + timeout;
                loop {
                    let left = deadline.saturating_duration_since(Instant::now());
                    match producer.flush(left.min(WAIT_SLICE)) {
                        Ok(()) => return Ok(()),
                        Err(err) if left <= WAIT_SLICE || cancelled_now(cancelled) => {
                            return Err(err);
                        }
                        Err(_) => {}
                    }
                }
            })?;
            outcome.map_err(|err| errors::raise(ruby, err))
        })
    }

    fn close(ruby: &Ruby, rb_self: &Self, timeout: f64) -> Result<(), Error> {
        guard(ruby, || {
            let producer = rb_self.client(ruby)?.clone();
            let timeout = duration(ruby, "timeout", timeout)?;
            // Not interruptible: a close cut short would purge messages the
            // caller asked to have delivered.
            gvl::without_gvl(ruby, move |_cancelled| producer.close(timeout))?
                .map_err(|err| errors::raise(ruby, err))
        })
    }

    fn is_closed(ruby: &Ruby, rb_self: &Self) -> Result<bool, Error> {
        Ok(rb_self.forked() || rb_self.client(ruby)?.is_closed())
    }

    fn is_forked(&self) -> bool {
        self.forked()
    }

    fn in_flight(ruby: &Ruby, rb_self: &Self) -> Result<usize, Error> {
        Ok(rb_self.client(ruby)?.in_flight())
    }
}

impl Drop for RbProducer {
    fn drop(&mut self) {
        if self.forked() {
            // Freeing the parent's client here would block on its threads.
            std::mem::forget(self.producer.take());
        }
    }
}

fn cancelled_now(flag: &std::sync::atomic::AtomicBool) -> bool {
    flag.load(std::sync::atomic::Ordering::SeqCst)
}

/// The core configuration: the environment as the core reads it, overridden
/// by the keyword arguments the caller gave.
fn config(
    settings: Vec<(String, String)>,
    kafka_properties: Vec<(String, String)>,
) -> eventbus::Result<Config> {
    let mut builder = ConfigBuilder::from_lookup(|name| std::env::var(name).ok());
    for (name, value) in settings {
        builder = builder.setting(&name, &value)?;
    }
    for (key, value) in kafka_properties {
        builder = builder.kafka_property(key, value);
    }
    builder.build()
}

/// Header name and value pairs, copied out of the Ruby strings.
fn header_pairs(headers: RArray) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let mut pairs = Vec::with_capacity(headers.len());
    for pair in headers.into_iter() {
        let (name, value): (RString, RString) = magnus::TryConvert::try_convert(pair)?;
        // SAFETY: copied at once, with no Ruby code running in between.
        let bytes = unsafe { value.as_slice() }.to_vec();
        pairs.push((name.to_string()?, bytes));
    }
    Ok(pairs)
}

/// A timeout in seconds from Ruby, refused when negative or not finite.
pub fn duration(ruby: &Ruby, name: &str, seconds: f64) -> Result<Duration, Error> {
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        errors::raise(
            ruby,
            eventbus::Error::Config(format!(
                "{name} must be a number of seconds, zero or more; got {seconds}"
            )),
        )
    })
}

pub fn define(ruby: &Ruby, module: RModule) -> Result<(), Error> {
    let class = module.define_class("Producer", ruby.class_object())?;
    class.define_singleton_method("native_new", function!(RbProducer::new, 4))?;
    class.define_method("native_produce", method!(RbProducer::produce, 4))?;
    class.define_method("native_flush", method!(RbProducer::flush, 1))?;
    class.define_method("native_close", method!(RbProducer::close, 1))?;
    class.define_method("closed?", method!(RbProducer::is_closed, 0))?;
    class.define_method("forked?", method!(RbProducer::is_forked, 0))?;
    class.define_method("in_flight", method!(RbProducer::in_flight, 0))?;
    Ok(())
}
