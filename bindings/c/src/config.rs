//! `eventbus_config`: the settings a producer is made from. It starts from
//! the process environment, read exactly as the core reads it
//! (`ConfigBuilder::from_lookup`), or from nothing; each setter overrides
//! one field. The core checks the settings when a producer is made, so the
//! setters only refuse what they cannot convert.

use std::ffi::c_char;
use std::time::Duration;

use eventbus::config::RetryPolicy;
use eventbus::{ConfigBuilder, Producer, ProducerBuilder};

use crate::boundary::{borrow, guard, guard_or, into_handle, out, text};
use crate::result::{Failure, eventbus_result};

/// Settings for a producer: connection, identity, registry and limits.
/// Made by `eventbus_config_new_from_env` or `eventbus_config_new`, freed
/// by `eventbus_config_free`.
pub struct eventbus_config {
    core: ConfigBuilder,
    limits: ProducerLimits,
}

/// The settings that belong to the producer rather than to `Config`.
#[derive(Clone, Default)]
struct ProducerLimits {
    startup_timeout: Option<Duration>,
    message_timeout: Option<Duration>,
    enqueue_timeout: Option<Duration>,
    queue_max_bytes: Option<u64>,
}

/// The keys `eventbus_config_set` takes beyond the core's own settings
/// (`ConfigBuilder::SETTINGS`): durations in milliseconds and byte counts.
const C_KEYS: &[&str] = &[
    "schema_registry_request_timeout_ms",
    "schema_registry_retry_ms",
    "startup_timeout_ms",
    "message_timeout_ms",
    "enqueue_timeout_ms",
    "queue_max_bytes",
];

impl eventbus_config {
    /// A producer builder with these settings; the core checks them here.
    pub fn producer_builder(&self) -> Result<ProducerBuilder, Failure> {
        let config = self.core.clone().build()?;
        let limits = &self.limits;
        let mut builder = Producer::builder(config);
        if let Some(timeout) = limits.startup_timeout {
            builder = builder.startup_timeout(timeout);
        }
        if let Some(timeout) = limits.message_timeout {
            builder = builder.message_timeout(timeout);
        }
        if let Some(timeout) = limits.enqueue_timeout {
            builder = builder.enqueue_timeout(timeout);
        }
        if let Some(bytes) = limits.queue_max_bytes {
            builder = builder.queue_max_bytes(bytes);
        }
        Ok(builder)
    }

    /// Applies one setting; on failure the configuration is unchanged.
    fn set(&mut self, key: &str, value: &str) -> Result<(), Failure> {
        let core = self.core.clone();
        let number = |unit: &str| {
            value.trim().parse::<u64>().map_err(|_| {
                Failure::config(format!(
                    "{key} must be a whole number of {unit}, not {value:?}"
                ))
            })
        };
        let millis = || number("milliseconds").map(Duration::from_millis);
        self.core = match key {
            "schema_registry_request_timeout_ms" => core.schema_registry_request_timeout(millis()?),
            "schema_registry_retry_ms" => core.schema_registry_retry(RetryPolicy {
                total_time: millis()?,
                ..RetryPolicy::default()
            }),
            "startup_timeout_ms" => {
                self.limits.startup_timeout = Some(millis()?);
                core
            }
            "message_timeout_ms" => {
                self.limits.message_timeout = Some(millis()?);
                core
            }
            "enqueue_timeout_ms" => {
                self.limits.enqueue_timeout = Some(millis()?);
                core
            }
            "queue_max_bytes" => {
                self.limits.queue_max_bytes = Some(number("bytes")?);
                core
            }
            _ if ConfigBuilder::SETTINGS.contains(&key) => core.setting(key, value)?,
            _ => {
                return Err(Failure::config(format!(
                    "unknown setting {key:?}; known: {}, {} (librdkafka properties go through \
                     eventbus_config_set_kafka_property)",
                    ConfigBuilder::SETTINGS.join(", "),
                    C_KEYS.join(", ")
                )));
            }
        };
        Ok(())
    }
}

/// Makes a configuration from the process environment, read as every
/// eventbus binding reads it (`EB_BOOTSTRAP_SERVERS`, `EB_SECURITY_PROTOCOL`,
/// `AWS_REGION`, `SCHEMA_REGISTRY_URL`, ...; see README.md). Nothing is
/// checked yet: the checks run in `eventbus_producer_new`.
///
/// On success `*config_out` is a new handle that the caller owns and frees
/// with `eventbus_config_free`. Threads: any; the environment is read now,
/// so call it before threads that change the environment start.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_config_new_from_env(
    config_out: *mut *mut eventbus_config,
) -> eventbus_result {
    guard(|| {
        let config_out = out(config_out, "config_out")?;
        let config = eventbus_config {
            core: ConfigBuilder::from_lookup(|name| std::env::var(name).ok()),
            limits: ProducerLimits::default(),
        };
        // SAFETY: checked non-NULL; the caller gives a writable pointer.
        unsafe { *config_out = into_handle(config) };
        Ok(())
    })
}

/// Makes an empty configuration that ignores the environment; every
/// setting comes from `eventbus_config_set`.
///
/// Ownership and threads: as `eventbus_config_new_from_env`.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_config_new(config_out: *mut *mut eventbus_config) -> eventbus_result {
    guard(|| {
        let config_out = out(config_out, "config_out")?;
        let config = eventbus_config {
            core: ConfigBuilder::default(),
            limits: ProducerLimits::default(),
        };
        // SAFETY: checked non-NULL; the caller gives a writable pointer.
        unsafe { *config_out = into_handle(config) };
        Ok(())
    })
}

/// Sets one setting, overriding the environment. `key` is one of
/// `bootstrap_servers` (comma-separated `host:port`), `security_protocol`
/// (`SASL_SSL`, the default, or `PLAINTEXT`...), `aws_region`, `role_arn`,
/// `role_session_name`, `sts_region`, `role_external_id`, `ssl_ca_location`,
/// `schema_registry_url`, `schema_registry_path_prefix`,
/// `schema_registry_basic_auth` (`user:password`),
/// `schema_registry_ca_location`, `schema_registry_request_timeout_ms`,
/// `schema_registry_retry_ms` (how long transient registry failures are
/// retried), `enable_idempotence` (`true` or `false`), `startup_timeout_ms`,
/// `message_timeout_ms`, `enqueue_timeout_ms`, `queue_max_bytes`.
///
/// Returns `EVENTBUS_RESULT_CONFIG` for an unknown key or a value that is
/// not of the key's type; the configuration is unchanged then. Both strings
/// are copied. Threads: any, but one at a time for one configuration.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_config_set(
    config: *mut eventbus_config,
    key: *const c_char,
    value: *const c_char,
) -> eventbus_result {
    guard(|| {
        // SAFETY: a handle from `eventbus_config_new*`, not used elsewhere
        // meanwhile (documented); the strings are NUL-terminated.
        let config = unsafe { config.as_mut() }.ok_or_else(|| Failure::null("config"))?;
        let key = unsafe { text(key, "key") }?;
        let value = unsafe { text(value, "value") }?;
        config.set(key, value)
    })
}

/// Sets an extra librdkafka property (`linger.ms`, `compression.type`, ...).
/// Properties that contradict the Event Bus rules are refused by
/// `eventbus_producer_new` with the reason.
///
/// Both strings are copied. Threads: as `eventbus_config_set`.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_config_set_kafka_property(
    config: *mut eventbus_config,
    key: *const c_char,
    value: *const c_char,
) -> eventbus_result {
    guard(|| {
        // SAFETY: as in `eventbus_config_set`.
        let config = unsafe { config.as_mut() }.ok_or_else(|| Failure::null("config"))?;
        let key = unsafe { text(key, "key") }?;
        let value = unsafe { text(value, "value") }?;
        let core = std::mem::take(&mut config.core);
        config.core = core.kafka_property(key, value);
        Ok(())
    })
}

/// Frees a configuration. NULL is ignored. Producers made from it keep
/// their own copy of the settings, so it may be freed right after
/// `eventbus_producer_new`.
///
/// Ownership: takes back the handle; free each one once. Threads: any, with
/// no other call on this configuration running.
#[unsafe(no_mangle)]
pub extern "C" fn eventbus_config_free(config: *mut eventbus_config) {
    guard_or((), || {
        if !config.is_null() {
            // SAFETY: made by `into_handle` and freed once (documented).
            drop(unsafe { Box::from_raw(config) });
        }
    })
}

/// Reads a configuration handle that a function only looks at.
///
/// # Safety
/// As [`borrow`].
pub unsafe fn read<'a>(config: *const eventbus_config) -> Result<&'a eventbus_config, Failure> {
    // SAFETY: the caller's contract.
    unsafe { borrow(config, "config") }
}
