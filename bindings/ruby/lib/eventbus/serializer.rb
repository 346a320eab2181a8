# frozen_string_literal: true

module EventBus
  # Encodes and decodes with one pinned schema, in the Confluent wire format.
  #
  #   serializer = EventBus::Serializer.new(schema_id: 12, schema: File.read("appointment.avsc"))
  #   bytes = serializer.encode(event)        # binary String: 0, schema id, Avro
  #   serializer.decode(bytes)                # Hash with String keys
  #
  # With `registry_url:` instead of `schema:`, the schema is fetched once
  # from the registry by id.
  class Serializer
    def self.new(schema_id:, schema: nil, registry_url: nil, path_prefix: nil)
      if schema && registry_url
        raise ConfigError, "give either schema: (the .avsc text) or registry_url:, not both"
      end
      return native_from_schema(schema_id, schema) if schema
      if registry_url
        EventBus.start_log_forwarding
        return native_from_registry(schema_id, registry_url, path_prefix)
      end

      raise ConfigError, "no schema source: give schema: (the .avsc text) or registry_url:"
    end

    def inspect
      "#<EventBus::Serializer schema_id=#{schema_id}>"
    end
  end
end
