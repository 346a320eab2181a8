# frozen_string_literal: true

module EventBus
  # The base of every error this gem raises. `kind` is the core's stable kind
  # name ("invalid_record", "delivery", ...), for logs and metrics.
  class Error < StandardError
    attr_reader :kind, :field_path

    def initialize(message = nil, kind = nil, field_path = nil, retriable = false)
      super(message)
      @kind = kind || self.class.kind
      @field_path = field_path
      @retriable = retriable ? true : false
    end

    # Whether the same operation may succeed if tried again.
    def retriable?
      @retriable
    end

    class << self
      attr_writer :kind

      def kind
        @kind || "error"
      end
    end
  end

  {
    "ConfigError" => "config",
    "InvalidSchema" => "invalid_schema",
    "RegistryUnavailable" => "registry_unavailable",
    "SchemaNotFound" => "schema_not_found",
    "SchemaMismatch" => "schema_mismatch",
    "InvalidRecord" => "invalid_record",
    "DecodeError" => "decode",
    "AuthError" => "auth",
    "DeliveryError" => "delivery",
    "TimeoutError" => "timeout",
    "ClosedError" => "closed",
    "QueueFullError" => "queue_full"
  }.each do |name, kind|
    const_set(name, Class.new(Error)).kind = kind
  end

  # A record that does not match its schema; `field_path` names the field
  # ("facility.city", "procedureCodes[2]"), empty for the record itself.
  class InvalidRecord < Error; end

  # A message that could not be delivered; `retriable?` says whether sending
  # it again may work.
  class DeliveryError < Error; end
end
