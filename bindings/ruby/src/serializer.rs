//! `EventBus::Serializer`: one pinned schema; `encode` a Ruby Hash into a
//! Confluent-framed binary String, `decode` one back. The keyword-argument
//! constructor is in `lib/eventbus/serializer.rb`; it calls the two native
//! constructors here.

use eventbus::{RegistryClient, RegistryConfig, Serializer};
use magnus::{Error, RModule, RString, Ruby, Value, function, method, prelude::*};

use crate::datum::{RubyBuilder, RubyDatum};
use crate::errors::{self, guard};
use crate::gvl;

#[magnus::wrap(class = "EventBus::Serializer", free_immediately, size)]
pub struct RbSerializer(Serializer);

impl RbSerializer {
    fn from_schema(ruby: &Ruby, schema_id: u32, schema_text: String) -> Result<Self, Error> {
        guard(ruby, || {
            Serializer::from_schema_text(schema_id, &schema_text)
                .map(RbSerializer)
                .map_err(|err| errors::raise(ruby, err))
        })
    }

    fn from_registry(
        ruby: &Ruby,
        schema_id: u32,
        registry_url: String,
        path_prefix: Option<String>,
    ) -> Result<Self, Error> {
        guard(ruby, || {
            let built = gvl::without_gvl(ruby, |_cancelled| {
                let mut registry_config = RegistryConfig::new(&registry_url)?;
                registry_config.path_prefix = path_prefix.filter(|prefix| !prefix.is_empty());
                let registry = RegistryClient::new(&registry_config)?;
                Serializer::builder()
                    .schema_id(schema_id)
                    .registry(registry)
                    .build()
            })?;
            built
                .map(RbSerializer)
                .map_err(|err| errors::raise(ruby, err))
        })
    }

    fn schema_id(&self) -> u32 {
        self.0.schema_id()
    }

    fn encode(ruby: &Ruby, rb_self: &Self, value: Value) -> Result<RString, Error> {
        guard(ruby, || {
            let bytes = rb_self
                .0
                .encode(RubyDatum::new(value))
                .map_err(|err| errors::raise(ruby, err))?;
            Ok(ruby.enc_str_new(&bytes, ruby.ascii8bit_encoding()))
        })
    }

    fn decode(ruby: &Ruby, rb_self: &Self, message: RString) -> Result<Value, Error> {
        guard(ruby, || {
            // The message is copied: decoding builds Ruby objects, and Ruby
            // code may run (and change the String) meanwhile.
            // SAFETY: copied at once, with no Ruby code running in between.
            let bytes = unsafe { message.as_slice() }.to_vec();
            let mut builder = RubyBuilder::new(ruby);
            let decoded = rb_self.0.decode_with(&bytes, &mut builder);
            let keep_alive = builder.keep_alive();
            let decoded = decoded.map_err(|err| errors::raise(ruby, err))?;
            std::hint::black_box(keep_alive);
            Ok(decoded)
        })
    }
}

pub fn define(ruby: &Ruby, module: RModule) -> Result<(), Error> {
    let class = module.define_class("Serializer", ruby.class_object())?;
    class.define_singleton_method(
        "native_from_schema",
        function!(RbSerializer::from_schema, 2),
    )?;
    class.define_singleton_method(
        "native_from_registry",
        function!(RbSerializer::from_registry, 3),
    )?;
    class.define_method("schema_id", method!(RbSerializer::schema_id, 0))?;
    class.define_method("encode", method!(RbSerializer::encode, 1))?;
    class.define_method("decode", method!(RbSerializer::decode, 1))?;
    Ok(())
}
