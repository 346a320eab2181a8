# frozen_string_literal: true

# EventBus: produce events to the Enterprise Event Bus (Kafka on AWS MSK) with
# pinned Avro schemas in the Confluent wire format. The work is done by the
# eventbus Rust core through the native extension loaded below.
require "date"
require "bigdecimal"
require "time"

# The exception classes come first: the extension raises them.
require_relative "eventbus/errors"
# It also defines EventBus::VERSION, the crate version from Cargo.toml.
require_relative "eventbus_native"
require_relative "eventbus/logging"
require_relative "eventbus/serializer"
require_relative "eventbus/delivery"
require_relative "eventbus/producer"
