# frozen_string_literal: true

# Producing through the gem to the local broker, as one JSON line for
# `cargo xtask bench`: start-up to the first delivered event, the resident
# memory an idle producer and a loaded one add, throughput of EVENTS
# appointment events, and the latency of produce-then-wait.
#
#   TOPIC=... VALUE_SCHEMA_ID=... [EVENTS=20000] [LATENCY_SAMPLES=300] ruby -Ilib bench/produce.rb
#
# The stack's variables (EB_BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL, ...) come
# from `cargo xtask stack env`.
require "eventbus"
require "json"

EXAMPLES = File.expand_path("../../../examples", __dir__)

def resident_mib
  File.read("/proc/self/status")[/^VmRSS:\s+(\d+)/, 1].to_i / 1024.0
end

def now
  Process.clock_gettime(Process::CLOCK_MONOTONIC)
end

EventBus.logger = nil
topic = ENV.fetch("TOPIC")
events = Integer(ENV.fetch("EVENTS", "20000"))
samples = Integer(ENV.fetch("LATENCY_SAMPLES", "300"))
event = JSON.parse(File.read(File.join(EXAMPLES, "records", "appointment.json")))
GC.start
baseline = resident_mib

started = now
producer = EventBus::Producer.new(topics: { topic => { value_schema_id: Integer(ENV.fetch("VALUE_SCHEMA_ID")) } })
producer.produce_sync(topic: topic, value: event, timeout: 30)
startup_ms = (now - started) * 1000
sleep 2
idle = resident_mib - baseline

started = now
events.times { producer.produce(topic: topic, value: event) }
producer.flush(timeout: 120)
elapsed = now - started
loaded = resident_mib - baseline

latencies = Array.new(samples) do
  sent = now
  producer.produce_sync(topic: topic, value: event, timeout: 30)
  (now - sent) * 1000
end.sort
producer.close(timeout: 30)

bytes = EventBus::Serializer.new(schema_id: 1, schema: File.read(File.join(EXAMPLES, "schemas", "appointment.avsc")))
                            .encode(event).bytesize
puts JSON.generate(
  binding: "ruby", implementation: "eventbus-producer #{EventBus::VERSION}",
  startup_ms: startup_ms, idle_rss_mib: idle, load_rss_mib: loaded,
  events_per_second: events / elapsed, mb_per_second: events * bytes / elapsed / 1e6,
  latency_p50_ms: latencies[samples / 2], latency_p99_ms: latencies[(samples * 99) / 100]
)
