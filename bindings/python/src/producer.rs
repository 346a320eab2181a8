//! `eventbus.Producer`, its `Delivery` handles and `DeliveryReport`s.
//!
//! Settings default to the environment exactly as the core reads it
//! (`ConfigBuilder::from_lookup` over the process environment); keyword
//! settings override single fields. Everything that blocks (start-up schema
//! fetches and the authentication check, waiting for a delivery, flush,
//! close) runs with the GIL released. Producers still open when the
//! interpreter exits are closed by the package's `atexit` hook through
//! [`close_open_producers`], within one shared time limit.

use std::mem::ManuallyDrop;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use eventbus::{
    ConfigBuilder, DeliveryHandle, DeliveryReport, Producer, ProducerBuilder, TopicBinding,
};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};

use crate::datum::PyDatum;
use crate::dispatch::{self, Job};
use crate::errors::{self, IntoPyResult, guard};
use crate::{fork, host, logs};

/// How long a blocking wait runs before checking for Ctrl-C and other signals.
const SIGNAL_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// `close()` and leaving a `with` block wait this long for queued messages.
const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(30);

/// A core producer and the process it belongs to.
struct Owned {
    producer: ManuallyDrop<Producer>,
    generation: u64,
    pid: u32,
    topics: String,
}

impl Owned {
    fn in_this_process(&self) -> bool {
        self.generation == fork::generation()
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        if !self.in_this_process() {
            // A forked child: librdkafka's threads stayed in the parent, and
            // destroying the handle here would wait for them forever.
            return;
        }
        // SAFETY: taken once, here, and never used again.
        let producer = unsafe { ManuallyDrop::take(&mut self.producer) };
        // Destroying a librdkafka handle joins its threads: not with the GIL.
        let mut producer = Some(producer);
        let _ = Python::try_attach(|py| py.detach(|| drop(producer.take())));
        drop(producer);
    }
}

/// Producers made in this process and maybe still open, for the exit hook.
/// Only touched with the GIL held, so a fork never copies it mid-change.
static OPEN: Mutex<Vec<Weak<Owned>>> = Mutex::new(Vec::new());

/// Produces Avro-encoded events to topics bound to pinned schemas.
#[pyclass(name = "Producer", module = "eventbus._native", frozen)]
pub struct PyProducer {
    owned: Arc<Owned>,
}

impl PyProducer {
    /// The core producer, or `ClosedError` in a process forked after it was made.
    fn live(&self, py: Python<'_>) -> PyResult<&Producer> {
        if self.owned.in_this_process() {
            return Ok(&self.owned.producer);
        }
        Err(errors::to_py(
            py,
            &eventbus::Error::Closed(format!(
                "this producer was created in process {} before fork(); its connections \
                 belong to that process and cannot be used in process {}. Create producers \
                 after fork (for example in gunicorn's post_fork hook, or at the start of a \
                 multiprocessing worker)",
                self.owned.pid,
                std::process::id()
            )),
        ))
    }

    fn produce_handle(
        &self,
        topic: &str,
        value: Bound<'_, PyAny>,
        key: Option<Bound<'_, PyAny>>,
        headers: Option<Bound<'_, PyAny>>,
    ) -> PyResult<DeliveryHandle> {
        let py = value.py();
        let producer = self.live(py)?;
        let headers = match headers {
            Some(headers) => read_headers(&headers)?,
            None => Vec::new(),
        };
        let headers: Vec<(&str, &[u8])> = headers
            .iter()
            .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
            .collect();
        // Limitation: while the local queue is full, this waits (up to the
        // enqueue timeout) holding the GIL, since the core encodes from the
        // Python objects and queues in one call; it ends when the core
        // offers queueing of an already encoded message.
        producer
            .produce(topic, key.map(PyDatum::new), PyDatum::new(value), &headers)
            .or_raise(py)
    }
}

#[pymethods]
impl PyProducer {
    #[new]
    #[pyo3(signature = (topics, **settings))]
    fn new(
        py: Python<'_>,
        topics: Bound<'_, PyAny>,
        settings: Option<Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        guard(py, || {
            logs::refresh_level(py);
            let bindings = read_topics(&topics)?;
            let topic_names = bindings
                .iter()
                .map(|binding| binding.topic().to_owned())
                .collect::<Vec<_>>()
                .join(", ");
            let builder = read_settings(py, bindings, settings.as_ref())?;
            let producer = py.detach(|| builder.and_then(ProducerBuilder::build));
            let owned = Arc::new(Owned {
                producer: ManuallyDrop::new(producer.or_raise(py)?),
                generation: fork::generation(),
                pid: std::process::id(),
                topics: topic_names,
            });
            let mut open = OPEN.lock().unwrap_or_else(PoisonError::into_inner);
            open.retain(|weak| weak.strong_count() > 0);
            open.push(Arc::downgrade(&owned));
            Ok(PyProducer { owned })
        })
    }

    /// Validates and encodes `value` (and `key`) with the topic's pinned
    /// schemas, queues the message, and returns its `Delivery`. An invalid
    /// record raises `InvalidRecord` with nothing queued.
    #[pyo3(signature = (topic, value, key=None, headers=None))]
    fn produce(
        &self,
        topic: &str,
        value: Bound<'_, PyAny>,
        key: Option<Bound<'_, PyAny>>,
        headers: Option<Bound<'_, PyAny>>,
    ) -> PyResult<PyDelivery> {
        let py = value.py();
        guard(py, || {
            Ok(PyDelivery {
                handle: self.produce_handle(topic, value, key, headers)?,
                generation: self.owned.generation,
            })
        })
    }

    /// As `produce`, but returns an asyncio future of the `DeliveryReport`.
    /// The message is queued before this returns; no thread waits for it.
    #[pyo3(signature = (topic, value, key=None, headers=None))]
    fn produce_async<'py>(
        &self,
        topic: &str,
        value: Bound<'py, PyAny>,
        key: Option<Bound<'py, PyAny>>,
        headers: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = value.py();
        guard(py, || {
            let event_loop = host::get(py)?.get_running_loop.bind(py).call0()?;
            let future = event_loop.call_method0("create_future")?;
            let handle = self.produce_handle(topic, value, key, headers)?;
            let (event_loop, settled) = (event_loop.unbind(), future.clone().unbind());
            handle.on_complete(move |outcome| {
                dispatch::send(Job::Settle {
                    event_loop,
                    future: settled,
                    outcome,
                })
            });
            Ok(future)
        })
    }

    /// Waits until every queued message is delivered or has failed
    /// (`timeout` in seconds; `None` waits as long as delivery may take).
    /// Raises `TimeoutError` if messages are still queued at the timeout;
    /// they stay queued and are reported later.
    #[pyo3(signature = (timeout=None))]
    fn flush(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<()> {
        guard(py, || {
            let producer = self.live(py)?;
            let limit = timeout.map(|t| seconds(py, t, "timeout")).transpose()?;
            let deadline = limit.map(|limit| Instant::now() + limit);
            loop {
                let slice = match deadline {
                    None => SIGNAL_CHECK_INTERVAL,
                    Some(deadline) => deadline
                        .saturating_duration_since(Instant::now())
                        .min(SIGNAL_CHECK_INTERVAL),
                };
                if py.detach(|| producer.flush(slice)).is_ok() {
                    return Ok(());
                }
                py.check_signals()?;
                if let (Some(deadline), Some(limit)) = (deadline, limit)
                    && Instant::now() >= deadline
                {
                    return Err(errors::to_py(
                        py,
                        &eventbus::Error::Timeout(format!(
                            "{} messages still undelivered after {:.1} s",
                            producer.in_flight(),
                            limit.as_secs_f64()
                        )),
                    ));
                }
            }
        })
    }

    /// Stops accepting messages and delivers what is queued, waiting up to
    /// `timeout` seconds. Raises `TimeoutError` naming how many messages
    /// were not delivered; their `Delivery` handles report them failed.
    #[pyo3(signature = (timeout=None))]
    fn close(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<()> {
        guard(py, || {
            let producer = self.live(py)?;
            let limit = match timeout {
                Some(timeout) => seconds(py, timeout, "timeout")?,
                None => DEFAULT_CLOSE_TIMEOUT,
            };
            py.detach(|| producer.close(limit)).or_raise(py)
        })
    }

    /// Messages queued or in flight whose delivery report has not arrived.
    #[getter]
    fn in_flight(&self, py: Python<'_>) -> PyResult<usize> {
        Ok(self.live(py)?.in_flight())
    }

    /// Whether `close` has been called.
    #[getter]
    fn closed(&self) -> bool {
        !self.owned.in_this_process() || self.owned.producer.is_closed()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc_info))]
    fn __exit__(&self, py: Python<'_>, _exc_info: Bound<'_, PyTuple>) -> PyResult<bool> {
        self.close(py, None)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!("<eventbus.Producer topics={}>", self.owned.topics)
    }
}

/// Closes every producer of this process that is still open, sharing
/// `timeout` seconds between them, and returns one line for each that
/// could not deliver everything. Called by the package's `atexit` hook.
#[pyfunction]
#[pyo3(name = "_close_open_producers")]
pub fn close_open_producers(py: Python<'_>, timeout: f64) -> PyResult<Vec<String>> {
    guard(py, || {
        let deadline = Instant::now() + seconds(py, timeout, "timeout")?;
        let open: Vec<Arc<Owned>> = OPEN
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
            .filter_map(|weak| weak.upgrade())
            .filter(|owned| owned.in_this_process() && !owned.producer.is_closed())
            .collect();
        let mut failures = Vec::new();
        for owned in open {
            let left = deadline.saturating_duration_since(Instant::now());
            if let Err(err) = py.detach(|| owned.producer.close(left)) {
                failures.push(format!("producer for {}: {err}", owned.topics));
            }
        }
        Ok(failures)
    })
}

/// The pending outcome of one produced message.
#[pyclass(name = "Delivery", module = "eventbus._native", frozen)]
pub struct PyDelivery {
    handle: DeliveryHandle,
    generation: u64,
}

#[pymethods]
impl PyDelivery {
    /// Waits for the outcome (`timeout` in seconds; `None` waits as long as
    /// delivery may take) and returns the `DeliveryReport`, or raises
    /// `DeliveryError` (see `.retriable`), `AuthError`, or `TimeoutError`
    /// if the time runs out first (the message stays queued).
    #[pyo3(signature = (timeout=None))]
    fn result(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<PyDeliveryReport> {
        guard(py, || {
            let limit = timeout.map(|t| seconds(py, t, "timeout")).transpose()?;
            let deadline = limit.map(|limit| Instant::now() + limit);
            loop {
                if let Some(outcome) = self.handle.try_result() {
                    return outcome.map(PyDeliveryReport::from).or_raise(py);
                }
                if self.generation != fork::generation() {
                    return Err(errors::to_py(
                        py,
                        &eventbus::Error::Closed(
                            "this message was produced before fork() by the parent process; \
                             its delivery is reported there"
                                .into(),
                        ),
                    ));
                }
                let slice = match deadline {
                    None => SIGNAL_CHECK_INTERVAL,
                    Some(deadline) => {
                        let left = deadline.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            // The core's own timeout error and message.
                            return self.handle.wait(Some(left)).map(Into::into).or_raise(py);
                        }
                        left.min(SIGNAL_CHECK_INTERVAL)
                    }
                };
                let _ = py.detach(|| self.handle.wait(Some(slice)));
                py.check_signals()?;
            }
        })
    }

    /// Whether the outcome is known.
    fn done(&self) -> bool {
        self.handle.try_result().is_some()
    }

    fn __repr__(&self) -> String {
        let state = match self.handle.try_result() {
            None => "pending".to_owned(),
            Some(Ok(report)) => format!(
                "delivered partition={} offset={}",
                report.partition, report.offset
            ),
            Some(Err(err)) => format!("failed kind={}", err.kind()),
        };
        format!("<eventbus.Delivery {state}>")
    }
}

/// Where a delivered message was written.
#[pyclass(
    name = "DeliveryReport",
    module = "eventbus._native",
    frozen,
    get_all,
    eq
)]
#[derive(Clone, PartialEq, Eq)]
pub struct PyDeliveryReport {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// Milliseconds since the epoch, when the broker reported one.
    pub timestamp: Option<i64>,
}

impl From<DeliveryReport> for PyDeliveryReport {
    fn from(report: DeliveryReport) -> Self {
        PyDeliveryReport {
            topic: report.topic,
            partition: report.partition,
            offset: report.offset,
            timestamp: report.timestamp,
        }
    }
}

#[pymethods]
impl PyDeliveryReport {
    fn __repr__(&self) -> String {
        format!(
            "DeliveryReport(topic={:?}, partition={}, offset={}, timestamp={:?})",
            self.topic, self.partition, self.offset, self.timestamp
        )
    }
}

/// A time limit in seconds, as a `Duration`.
fn seconds(py: Python<'_>, value: f64, name: &str) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        errors::config(
            py,
            format!("{name} must be a number of seconds >= 0, not {value}"),
        )
    })
}

/// The keys a topic's settings may have.
const TOPIC_KEYS: &[&str] = &[
    "value_schema_id",
    "key_schema_id",
    "value_schema_file",
    "key_schema_file",
];

/// `{"appointments": {"value_schema_id": 12, "key_schema_id": 11}, ...}`
fn read_topics(topics: &Bound<'_, PyAny>) -> PyResult<Vec<TopicBinding>> {
    let py = topics.py();
    let topics = topics.cast::<PyDict>().map_err(|_| {
        errors::config(
            py,
            "topics must be a dict of topic name to its schemas, such as \
             {\"appointments\": {\"value_schema_id\": 12}}",
        )
    })?;
    let mut bindings = Vec::new();
    for (name, spec) in topics.iter() {
        let name: String = name
            .extract()
            .map_err(|_| errors::config(py, "topic names must be str"))?;
        let spec = spec.cast::<PyDict>().map_err(|_| {
            errors::config(
                py,
                format!("topic {name:?}: give a dict such as {{\"value_schema_id\": 12}}"),
            )
        })?;
        for key in spec.keys() {
            let key: String = key.extract().unwrap_or_default();
            if !TOPIC_KEYS.contains(&key.as_str()) {
                return Err(errors::config(
                    py,
                    format!(
                        "topic {name:?}: unknown setting {key:?}; known: {}",
                        TOPIC_KEYS.join(", ")
                    ),
                ));
            }
        }
        let schema_id = |key: &str| -> PyResult<Option<u32>> {
            match spec.get_item(key)? {
                None => Ok(None),
                Some(id) if id.is_none() => Ok(None),
                Some(id) => id.extract::<u32>().map(Some).map_err(|_| {
                    errors::config(
                        py,
                        format!("topic {name:?}: {key} must be a schema id (int)"),
                    )
                }),
            }
        };
        let path = |key: &str| -> PyResult<Option<PathBuf>> {
            match spec.get_item(key)? {
                None => Ok(None),
                Some(path) if path.is_none() => Ok(None),
                Some(path) => path.extract::<PathBuf>().map(Some).map_err(|_| {
                    errors::config(py, format!("topic {name:?}: {key} must be a path"))
                }),
            }
        };
        let value_schema_id = schema_id("value_schema_id")?.ok_or_else(|| {
            errors::config(py, format!("topic {name:?}: value_schema_id is required"))
        })?;
        let mut binding = TopicBinding::new(name.as_str(), value_schema_id);
        if let Some(key_schema_id) = schema_id("key_schema_id")? {
            binding = binding.key_schema_id(key_schema_id);
        }
        if let Some(file) = path("value_schema_file")? {
            binding = binding.value_schema_file(file);
        }
        if let Some(file) = path("key_schema_file")? {
            binding = binding.key_schema_file(file);
        }
        bindings.push(binding);
    }
    Ok(bindings)
}

/// The keyword settings a producer takes beyond the core's own
/// (`ConfigBuilder::SETTINGS`), each overriding what the environment gives.
const PYTHON_SETTINGS: &[&str] = &[
    "kafka_properties",
    "startup_timeout",
    "message_timeout",
    "enqueue_timeout",
    "queue_max_bytes",
];

/// A producer builder from the environment and the keyword settings. The
/// configuration's own checks run later, in `build`, without the GIL; the
/// result carries their error.
fn read_settings(
    py: Python<'_>,
    bindings: Vec<TopicBinding>,
    settings: Option<&Bound<'_, PyDict>>,
) -> PyResult<eventbus::Result<ProducerBuilder>> {
    let mut config = ConfigBuilder::from_lookup(|name| std::env::var(name).ok());
    let mut startup_timeout = None;
    let mut message_timeout = None;
    let mut enqueue_timeout = None;
    let mut queue_max_bytes = None;
    if let Some(settings) = settings {
        for (name, value) in settings.iter() {
            let name: String = name.extract()?;
            if value.is_none() {
                continue;
            }
            let text = || setting_text(&name, &value);
            let path = || {
                value.extract::<PathBuf>().map_err(|_| {
                    errors::config(py, format!("{name} must be a path (str or os.PathLike)"))
                })
            };
            let duration = || {
                let secs: f64 = value.extract().map_err(|_| {
                    errors::config(py, format!("{name} must be a number of seconds"))
                })?;
                seconds(py, secs, &name)
            };
            config = match name.as_str() {
                "bootstrap_servers" => config.bootstrap_servers(bootstrap_servers(&value)?),
                "ssl_ca_location" => config.ssl_ca_location(path()?),
                "schema_registry_ca_location" => config.schema_registry_ca_location(path()?),
                "enable_idempotence" => {
                    config.enable_idempotence(value.extract::<bool>().map_err(|_| {
                        errors::config(py, "enable_idempotence must be True or False")
                    })?)
                }
                "kafka_properties" => {
                    let properties = value.cast::<PyDict>().map_err(|_| {
                        errors::config(py, "kafka_properties must be a dict of str to str")
                    })?;
                    for (key, property) in properties.iter() {
                        let key: String = key
                            .extract()
                            .map_err(|_| errors::config(py, "kafka_properties keys must be str"))?;
                        config = config.kafka_property(&key, property_text(&key, &property)?);
                    }
                    config
                }
                "startup_timeout" => {
                    startup_timeout = Some(duration()?);
                    config
                }
                "message_timeout" => {
                    message_timeout = Some(duration()?);
                    config
                }
                "enqueue_timeout" => {
                    enqueue_timeout = Some(duration()?);
                    config
                }
                "queue_max_bytes" => {
                    queue_max_bytes = Some(value.extract::<u64>().map_err(|_| {
                        errors::config(py, "queue_max_bytes must be a whole number of bytes")
                    })?);
                    config
                }
                // The rest of the core's settings are text.
                other if ConfigBuilder::SETTINGS.contains(&other) => config
                    .setting(other, &text()?)
                    .map_err(|err| errors::to_py(py, &err))?,
                _ => {
                    return Err(errors::config(
                        py,
                        format!(
                            "unknown setting {name:?}; known: {}, {}",
                            ConfigBuilder::SETTINGS.join(", "),
                            PYTHON_SETTINGS.join(", ")
                        ),
                    ));
                }
            };
        }
    }
    Ok(config.build().map(|config| {
        let mut builder = Producer::builder(config);
        for binding in bindings {
            builder = builder.topic(binding);
        }
        if let Some(timeout) = startup_timeout {
            builder = builder.startup_timeout(timeout);
        }
        if let Some(timeout) = message_timeout {
            builder = builder.message_timeout(timeout);
        }
        if let Some(timeout) = enqueue_timeout {
            builder = builder.enqueue_timeout(timeout);
        }
        if let Some(bytes) = queue_max_bytes {
            builder = builder.queue_max_bytes(bytes);
        }
        builder
    }))
}

fn setting_text(name: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    value
        .extract::<String>()
        .map_err(|_| errors::config(value.py(), format!("{name} must be a str")))
}

/// `"host:9098,host2:9098"` or `["host:9098", "host2:9098"]`.
fn bootstrap_servers(value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(text) = value.extract::<String>() {
        return Ok(text);
    }
    value
        .extract::<Vec<String>>()
        .map(|servers| servers.join(","))
        .map_err(|_| {
            errors::config(
                value.py(),
                "bootstrap_servers must be a str of host:port pairs or a list of them",
            )
        })
}

/// A librdkafka property value: str, int, float, or bool (written as
/// `true`/`false`, as librdkafka spells them).
fn property_text(key: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(flag) = value.cast::<pyo3::types::PyBool>() {
        return Ok(if flag.is_true() { "true" } else { "false" }.to_owned());
    }
    if value.is_instance_of::<PyString>()
        || value.is_instance_of::<pyo3::types::PyInt>()
        || value.is_instance_of::<pyo3::types::PyFloat>()
    {
        return Ok(value.str()?.to_cow()?.into_owned());
    }
    Err(errors::config(
        value.py(),
        format!("kafka_properties[{key:?}] must be a str, int, float or bool"),
    ))
}

/// Message headers: a dict or a sequence of `(name, value)` pairs, values
/// `bytes` or `str` (sent as UTF-8).
fn read_headers(headers: &Bound<'_, PyAny>) -> PyResult<Vec<(String, Vec<u8>)>> {
    let py = headers.py();
    let pairs: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)> =
        if let Ok(dict) = headers.cast::<PyDict>() {
            dict.iter().collect()
        } else {
            headers.extract().map_err(|_| {
                errors::config(
                    py,
                    "headers must be a dict or a list of (name, value) pairs",
                )
            })?
        };
    pairs
        .into_iter()
        .map(|(name, value)| {
            let name: String = name
                .extract()
                .map_err(|_| errors::config(py, "header names must be str"))?;
            let bytes = if let Ok(bytes) = value.cast::<PyBytes>() {
                bytes.as_bytes().to_vec()
            } else if let Ok(text) = value.cast::<PyString>() {
                text.to_cow()?.as_bytes().to_vec()
            } else {
                return Err(errors::config(
                    py,
                    format!("header {name:?} must be bytes or str"),
                ));
            };
            Ok((name, bytes))
        })
        .collect()
}
