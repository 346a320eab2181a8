# frozen_string_literal: true

# Serializer#encode throughput for the example events, as events/s.
#
#   ruby -Ilib bench/encode.rb [seconds per round] [rounds]
#
# With EVENTBUS_BENCH_JSON=FILE it also appends the results to FILE as JSON
# lines for `cargo xtask bench`.
#
# Each round encodes one event for the given time; the figure is the median
# round. The events are the Hashes JSON.parse gives for examples/records, the
# shape a Rails app hands over. The pure-Ruby incumbent (avro_turf on the avro
# gem) cannot be installed here: the gem registry is not reachable, so the
# comparison column quotes its figures on this kind of machine (avro_turf
# with a pinned id and a warm cache) rather than measuring it in this run.
require "eventbus"
require "json"

EXAMPLES = File.expand_path("../../../examples", __dir__)
INCUMBENT_EVENTS_PER_SECOND = { "user" => 44_000, "appointment" => 8_500, "visit-summary" => nil }.freeze

seconds = Float(ARGV.fetch(0, "1"))
rounds = Integer(ARGV.fetch(1, "5"))

def events_per_second(serializer, event, seconds)
  count = 0
  started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  deadline = started + seconds
  while (now = Process.clock_gettime(Process::CLOCK_MONOTONIC)) < deadline
    100.times { serializer.encode(event) }
    count += 100
  end
  count / (now - started)
end

puts "Serializer#encode, #{rounds} rounds of #{seconds} s, median (Ruby #{RUBY_VERSION}, eventbus #{EventBus::VERSION})"
puts format("%-14s %14s %18s %8s", "event", "events/s", "avro_turf (quoted)", "ratio")
INCUMBENT_EVENTS_PER_SECOND.each do |name, incumbent|
  schema = File.read(File.join(EXAMPLES, "schemas", "#{name}.avsc"))
  event = JSON.parse(File.read(File.join(EXAMPLES, "records", "#{name}.json")))
  serializer = EventBus::Serializer.new(schema_id: 1, schema: schema)
  # The benchmark measures what the tests check: the bytes decode back.
  raise "#{name}: round trip differs" unless serializer.encode(serializer.decode(serializer.encode(event))) == serializer.encode(event)

  events_per_second(serializer, event, seconds / 4)
  samples = Array.new(rounds) { events_per_second(serializer, event, seconds) }.sort
  median = samples[samples.size / 2]
  if incumbent
    puts format("%-14s %14d %18d %7.1fx", name, median, incumbent, median / incumbent)
  else
    puts format("%-14s %14d %18s", name, median, "-")
  end
  next unless ENV["EVENTBUS_BENCH_JSON"]

  File.open(ENV.fetch("EVENTBUS_BENCH_JSON"), "a") do |file|
    file.puts JSON.generate(kind: "encode", binding: "ruby", event: name,
                            implementation: "eventbus-producer #{EventBus::VERSION}",
                            events_per_second: median, runs: samples)
    if incumbent
      file.puts JSON.generate(kind: "encode", binding: "ruby", event: name,
                              implementation: "avro_turf, pinned id (quoted: not installable here)",
                              events_per_second: incumbent, quoted: true)
    end
  end
end
