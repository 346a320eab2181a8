# frozen_string_literal: true

module EventBus
  # Produces Avro events to the Event Bus with pinned schemas.
  #
  #   producer = EventBus::Producer.new(
  #     topics: { "appointments" => { value_schema_id: 12, key_schema_id: 11 } }
  #   )
  #   handle = producer.produce(topic: "appointments", key: { "id" => id }, value: event)
  #   handle.wait(timeout: 5)   # => #<struct EventBus::DeliveryReport topic=..., partition=0, offset=42>
  #   producer.close(timeout: 10)
  #
  # Settings not given as keywords come from the environment, read the way
  # every eventbus tool reads it (EB_BOOTSTRAP_SERVERS or KAFKA_HOST,
  # EB_SECURITY_PROTOCOL or SECURITY_PROTOCOL, SCHEMA_REGISTRY_URL,
  # SCHEMA_REGISTRY_PATH_PREFIX, AWS_REGION, AWS_ROLE_ARN, ...).
  #
  # Every topic's schemas are fetched, and with SASL_SSL the brokers are asked
  # to accept the credentials, before `new` returns: a wrong schema id or a
  # refused identity fails here, not in the middle of traffic.
  #
  # A producer is safe to share between threads. It does not survive fork:
  # create it in each worker after the fork (with Puma, in `on_worker_boot`).
  # Producers still open when Ruby exits are closed by an at_exit hook that
  # waits up to EventBus.exit_timeout seconds.
  class Producer
    SETTINGS = %i[
      bootstrap_servers security_protocol aws_region role_arn role_session_name sts_region
      role_external_id ssl_ca_location schema_registry_url schema_registry_path_prefix
      schema_registry_basic_auth schema_registry_ca_location enable_idempotence
    ].freeze
    TUNING = %i[startup_timeout message_timeout enqueue_timeout queue_max_bytes].freeze
    TOPIC_KEYS = %i[value_schema_id key_schema_id value_schema_file key_schema_file].freeze
    private_constant :SETTINGS, :TUNING, :TOPIC_KEYS

    # `topics:` maps each topic to its schema ids: `value_schema_id:`
    # (required), `key_schema_id:`, and optionally `value_schema_file:` /
    # `key_schema_file:` for a local copy that the registry's must match.
    #
    # Settings: bootstrap_servers:, security_protocol:, aws_region:, role_arn:,
    # role_session_name:, sts_region:, role_external_id:, ssl_ca_location:,
    # schema_registry_url:, schema_registry_path_prefix:,
    # schema_registry_basic_auth: ("user:password"), schema_registry_ca_location:,
    # enable_idempotence:, kafka: (extra librdkafka properties as a Hash).
    # Tuning, in seconds unless named otherwise: startup_timeout: (10),
    # message_timeout: (120), enqueue_timeout: (5), queue_max_bytes: (64 MiB).
    def self.new(topics:, kafka: {}, **options)
      unknown = options.keys - SETTINGS - TUNING
      unless unknown.empty?
        raise ArgumentError, "unknown keyword#{'s' if unknown.size > 1}: #{unknown.map(&:inspect).join(', ')}"
      end

      settings = options.slice(*SETTINGS).reject { |_, value| value.nil? }
                        .map { |name, value| [name.to_s, value.to_s] }
      tuning = options.slice(*TUNING).reject { |_, value| value.nil? }.transform_keys(&:to_s)
      tuning.each { |name, value| tuning[name] = name == "queue_max_bytes" ? Integer(value) : Float(value) }
      properties = kafka.map { |name, value| [name.to_s, value.to_s] }

      EventBus.start_log_forwarding
      producer = native_new(topic_bindings(topics), settings, properties, tuning)
      OpenProducers.add(producer)
      producer
    end

    # Yields a new producer and closes it when the block ends, however it
    # ends. Returns the block's value.
    def self.open(close_timeout: 30, **options)
      producer = new(**options)
      begin
        yield producer
      ensure
        producer.close(timeout: close_timeout) unless producer.closed?
      end
    end

    def self.topic_bindings(topics)
      raise ConfigError, "topics: must map at least one topic to its schema ids" if topics.nil? || topics.empty?

      topics.map do |topic, schemas|
        schemas = schemas.transform_keys(&:to_sym)
        unknown = schemas.keys - TOPIC_KEYS
        unless unknown.empty?
          raise ConfigError, "topic #{topic}: unknown setting #{unknown.first.inspect}; use #{TOPIC_KEYS.join(', ')}"
        end
        value_schema_id = schemas[:value_schema_id] or
          raise ConfigError, "topic #{topic}: value_schema_id is required (the pinned registry id)"
        [topic.to_s, Integer(value_schema_id), schemas[:key_schema_id]&.then { |id| Integer(id) },
         schemas[:value_schema_file]&.to_s, schemas[:key_schema_file]&.to_s]
      end
    end
    private_class_method :topic_bindings, :native_new

    # Validates and encodes `value` (and `key`, when the topic has a key
    # schema) and queues the message. An invalid record raises
    # EventBus::InvalidRecord naming the field, and nothing is sent.
    # `headers:` maps names to String values. Returns an
    # EventBus::DeliveryHandle.
    def produce(topic:, value:, key: nil, headers: nil)
      header_pairs = headers ? headers.map { |name, bytes| [name.to_s, bytes.to_s] } : []
      native_produce(topic.to_s, value, key, header_pairs)
    end

    # `produce`, then wait for the brokers' acknowledgement. Returns the
    # EventBus::DeliveryReport.
    def produce_sync(topic:, value:, key: nil, headers: nil, timeout: 30)
      produce(topic: topic, value: value, key: key, headers: headers).wait(timeout: timeout)
    end

    # Waits until every queued message is delivered or has failed. Raises
    # EventBus::TimeoutError if some are still queued after `timeout`
    # seconds; they stay queued.
    def flush(timeout: 30)
      native_flush(Float(timeout))
    end

    # Delivers what is queued and stops the producer. Whatever is still
    # undelivered after `timeout` seconds is dropped, reported failed through
    # its handle, and counted in the EventBus::TimeoutError raised.
    def close(timeout: 30)
      native_close(Float(timeout))
    ensure
      OpenProducers.delete(self)
    end

    def inspect
      state = if forked? then "forked"
              elsif closed? then "closed"
              else "open, #{in_flight} in flight"
              end
      "#<EventBus::Producer #{state}>"
    end
  end

  # Producers not yet closed, so that they can be closed at exit.
  module OpenProducers
    @producers = {}
    @lock = Mutex.new

    class << self
      def add(producer)
        @lock.synchronize { @producers[producer.object_id] = producer }
      end

      def delete(producer)
        @lock.synchronize { @producers.delete(producer.object_id) }
      end

      # Closes every producer this process opened, each within `timeout`
      # seconds, and logs what could not be delivered.
      def close_all(timeout)
        producers = @lock.synchronize { @producers.values.tap { @producers.clear } }
        producers.each do |producer|
          # Made before a fork: its client belongs to the parent.
          next if producer.forked? || producer.closed?

          begin
            producer.close(timeout: timeout)
          rescue EventBus::Error => e
            EventBus.logger&.error("eventbus") { "closing a producer at exit: #{e.message}" }
            warn "eventbus: closing a producer at exit: #{e.message}"
          end
        end
      end
    end
  end
  private_constant :OpenProducers

  class << self
    # Seconds each open producer gets to deliver its queue when Ruby exits.
    attr_accessor :exit_timeout
  end
  self.exit_timeout = 10

  at_exit do
    OpenProducers.close_all(EventBus.exit_timeout)
    EventBus.stop_log_forwarding
  end
end
