# frozen_string_literal: true

module EventBus
  # Where the brokers wrote a message. `timestamp` is the broker's Time for
  # it, when the broker reported one.
  DeliveryReport = Struct.new(:topic, :partition, :offset, :timestamp, keyword_init: true)

  # The pending outcome of one produced message, from Producer#produce.
  class DeliveryHandle
    # Blocks until the message is acknowledged (returns its
    # EventBus::DeliveryReport) or has failed (raises EventBus::DeliveryError,
    # with `retriable?`). Raises EventBus::TimeoutError after `timeout`
    # seconds (nil: no limit but the producer's message_timeout); the message
    # then stays queued. Other Ruby threads run while this one waits.
    def wait(timeout: 5)
      topic, partition, offset, timestamp_ms = native_wait(timeout&.then { |t| Float(t) })
      DeliveryReport.new(
        topic: topic, partition: partition, offset: offset,
        timestamp: timestamp_ms && Time.at(timestamp_ms / 1000r).utc
      )
    end

    def inspect
      "#<EventBus::DeliveryHandle #{done? ? 'done' : 'pending'}>"
    end
  end
end
