//! `Serializer`: one pinned schema, encoding plain objects into Confluent
//! framed Avro and decoding it back, on the calling thread (it is CPU work
//! only). Fetching the schema from a registry is network work, so that way
//! of making one is `Serializer.fromRegistry`, which returns a promise.

use std::sync::Arc;

use eventbus::{RegistryClient, RegistryConfig};
use napi::bindgen_prelude::*;

use crate::decoded::JsBuilder;
use crate::errors;
use crate::thread_state::{self, Registered};

/// Where a `Serializer`'s schema comes from: `schema` (the `.avsc` text)
/// for `new Serializer`, `registryUrl` for `Serializer.fromRegistry`.
#[napi(object)]
pub struct SerializerOptions {
    /// The registry id written into every message.
    pub schema_id: u32,
    pub schema: Option<String>,
    pub registry_url: Option<String>,
    /// A path before the registry's API, such as `/apis/ccompat/v7`.
    pub path_prefix: Option<String>,
}

#[napi]
pub struct Serializer {
    inner: Arc<eventbus::Serializer>,
    /// Its place in the thread's registry, which `_encodeInto` finds it by.
    registered: Registered,
}

impl Serializer {
    fn wrap(env: &Env, inner: eventbus::Serializer) -> Result<Self> {
        let inner = Arc::new(inner);
        let registered = thread_state::register(&inner)
            .ok_or_else(|| errors::config(env, "this thread cannot make serializers now"))?;
        Ok(Serializer { inner, registered })
    }
}

#[napi]
impl Serializer {
    /// A serializer for the schema text given, working offline.
    #[napi(constructor, catch_unwind)]
    pub fn new(env: Env, options: SerializerOptions) -> Result<Self> {
        match (options.schema, options.registry_url) {
            (Some(schema), None) => {
                let inner = eventbus::Serializer::from_schema_text(options.schema_id, &schema)
                    .map_err(|err| errors::throw(&env, err))?;
                Serializer::wrap(&env, inner)
            }
            (Some(_), Some(_)) => Err(errors::config(
                &env,
                "give either schema (the .avsc text) or registryUrl, not both",
            )),
            (None, Some(_)) => Err(errors::config(
                &env,
                "fetching a schema takes network time: use await Serializer.fromRegistry({ schemaId, registryUrl })",
            )),
            (None, None) => Err(errors::config(
                &env,
                "no schema source: give schema (the .avsc text), or use Serializer.fromRegistry",
            )),
        }
    }

    /// Fetches the schema pinned by `schemaId` from the registry, once, off
    /// the event loop.
    #[napi(ts_return_type = "Promise<Serializer>", catch_unwind)]
    pub fn from_registry(env: Env, options: SerializerOptions) -> Result<AsyncTask<Fetch>> {
        let Some(registry_url) = options.registry_url else {
            return Err(errors::config(&env, "fromRegistry needs registryUrl"));
        };
        if options.schema.is_some() {
            return Err(errors::config(
                &env,
                "give either schema (the .avsc text) or registryUrl, not both",
            ));
        }
        Ok(AsyncTask::new(Fetch {
            schema_id: options.schema_id,
            registry_url,
            path_prefix: options.path_prefix,
        }))
    }

    /// The schema id written into every message.
    #[napi(getter)]
    pub fn schema_id(&self) -> u32 {
        self.inner.schema_id()
    }

    /// Where the encode function `index.js` installs as
    /// `Serializer.prototype.encode` finds this serializer: its slot and
    /// generation in the thread's registry (see `encode.rs`).
    #[napi(js_name = "_handle", skip_typescript)]
    pub fn handle(&self) -> Vec<u32> {
        vec![self.registered.slot, self.registered.generation]
    }

    /// Reads a framed message written with this serializer's schema id.
    #[napi(ts_return_type = "any", catch_unwind)]
    pub fn decode<'env>(&self, env: &'env Env, message: &[u8]) -> Result<Unknown<'env>> {
        // SAFETY: on the JavaScript thread, within this call's handle scope.
        let mut builder = unsafe { JsBuilder::new(env.raw()) };
        let value = self
            .inner
            .decode_with(message, &mut builder)
            .map_err(|err| errors::throw(env, err))?;
        // SAFETY: a handle made on this thread, in this call.
        Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), value.0) })
    }
}

/// The registry fetch behind `Serializer.fromRegistry`, on libuv's pool.
pub struct Fetch {
    schema_id: u32,
    registry_url: String,
    path_prefix: Option<String>,
}

impl Task for Fetch {
    /// The core's own result, carried to the JavaScript thread whole so
    /// that a failure becomes an `EventBusError` there.
    type Output = eventbus::Result<eventbus::Serializer>;
    type JsValue = Serializer;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(
            RegistryConfig::new(&self.registry_url).and_then(|mut registry| {
                registry.path_prefix = self.path_prefix.take().filter(|p| !p.is_empty());
                eventbus::Serializer::builder()
                    .schema_id(self.schema_id)
                    .registry(RegistryClient::new(&registry)?)
                    .build()
            }),
        )
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        let inner = output.map_err(|err| errors::throw(&env, err))?;
        Serializer::wrap(&env, inner)
    }
}
