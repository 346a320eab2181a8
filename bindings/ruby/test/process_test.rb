# frozen_string_literal: true

require_relative "test_helper"

# Fork and exit, each in a Ruby process of its own.
class ProcessTest < Minitest::Test
  include EventBusTestFiles
  include EventBusStack

  def setup
    require_stack
    @topic = unique_topic("ruby-process")
    @value_id = register("#{@topic}-value", schema_text("user"))
    @env = { "TOPIC" => @topic, "VALUE_ID" => @value_id.to_s,
             "USER" => JSON.generate(record("user")), "EB_SECURITY_PROTOCOL" => "PLAINTEXT" }
  end

  PRELUDE = <<~RUBY
    require "eventbus"
    require "json"
    EventBus.logger = nil
    TOPIC = ENV.fetch("TOPIC")
    USER = JSON.parse(ENV.fetch("USER"))
    def new_producer(**options)
      EventBus::Producer.new(topics: { TOPIC => { value_schema_id: Integer(ENV.fetch("VALUE_ID")) } }, **options)
    end
  RUBY

  # A Puma-style worker: the producer made before the fork refuses in the
  # child and says why; one made in the child works; the parent's is unharmed.
  def test_fork
    script = PRELUDE + <<~RUBY
      parent = new_producer
      parent.produce_sync(topic: TOPIC, value: USER.merge("sequenceNumber" => 1))
      pid = fork do
        outcome = begin
          parent.produce(topic: TOPIC, value: USER)
          "produced"
        rescue EventBus::ClosedError => e
          e.message
        end
        child = new_producer
        report = child.produce_sync(topic: TOPIC, value: USER.merge("sequenceNumber" => 2))
        puts JSON.generate(child: outcome, forked: parent.forked?, closed: parent.closed?, offset: report.offset)
        # Exits normally: the at_exit hook closes the child's producer and
        # must leave the parent's alone.
      end
      Process.wait(pid)
      puts JSON.generate(child_status: $?.exitstatus)
      parent.produce_sync(topic: TOPIC, value: USER.merge("sequenceNumber" => 3))
      parent.close(timeout: 10)
      puts JSON.generate(parent_forked: parent.forked?)
    RUBY
    output, errors, status = run_with_deadline(script, 60)
    assert status.success?, errors
    child, exit_line, parent = output.lines.map { |line| JSON.parse(line) }
    assert_match(/created in process \d+ and cannot be used after fork/, child["child"])
    assert_match(/on_worker_boot/, child["child"])
    assert_equal true, child["forked"]
    assert_equal true, child["closed"]
    assert_equal 1, child["offset"]
    assert_equal 0, exit_line["child_status"]
    assert_equal false, parent["parent_forked"]
    assert_equal [1, 2, 3], read_back(@topic, expected: 3).map { |m| m["value"]["sequenceNumber"] }
  end

  # Messages produced without a close are delivered by the at_exit hook.
  def test_open_producers_are_closed_at_exit
    script = PRELUDE + <<~RUBY
      producer = new_producer
      50.times { |i| producer.produce(topic: TOPIC, value: USER.merge("sequenceNumber" => i)) }
    RUBY
    _output, errors, status = run_with_deadline(script, 60)
    assert status.success?, errors
    assert_equal (0...50).to_a, read_back(@topic, expected: 50).map { |m| m["value"]["sequenceNumber"] }
  end

  # With no broker to deliver to, exit waits EventBus.exit_timeout and then
  # says what was lost.
  def test_exit_is_bounded_and_reports_what_was_lost
    script = PRELUDE + <<~RUBY
      EventBus.exit_timeout = 1
      producer = new_producer(bootstrap_servers: "127.0.0.1:1")
      3.times { producer.produce(topic: TOPIC, value: USER) }
    RUBY
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    _output, errors, status = run_with_deadline(script, 60)
    elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
    assert status.success?, errors
    assert_match(/3 messages were not delivered/, errors)
    assert_operator elapsed, :<, 15
  end

  # The example does the seed sample's job from the seed sample's variables.
  def test_the_example_producer
    key_id = register("#{@topic}-key", schema_text("appointment-key"))
    value_id = register("#{@topic}-appointments-value", schema_text("appointment"))
    example = File.join(EventBusStack::REPO, "examples", "ruby", "appointments_producer.rb")
    env = { "KAFKA_HOST" => ENV.fetch("EB_BOOTSTRAP_SERVERS"), "EB_BOOTSTRAP_SERVERS" => nil,
            "SECURITY_PROTOCOL" => "PLAINTEXT", "EB_SECURITY_PROTOCOL" => nil,
            "APPOINTMENTS_TOPIC" => @topic, "APPOINTMENTS_VALUE_SCHEMA_ID" => value_id.to_s,
            "APPOINTMENTS_KEY_SCHEMA_ID" => key_id.to_s, "EVENT_COUNT" => "3", "INTERVAL" => "0" }
    loader = ENV["EVENTBUS_TEST_INSTALLED"] == "1" ? [] : ["-I", File.expand_path("../lib", __dir__)]
    output, errors, status = Timeout.timeout(60) { Open3.capture3(env, RbConfig.ruby, *loader, example) }
    assert status.success?, errors
    assert_equal 3, output.scan(/appointment A-\d+-\d+ at partition \d+, offset \d+/).size, output
    messages = read_back(@topic, expected: 3)
    assert_equal %w[000001 000002 000003], messages.map { |m| m["key"][-6..] }
    assert_equal "BOOKED", messages.first["value"]["eventType"]
    assert_equal "15.00", messages.first["value"]["copayAmount"]
  end

  private

  def run_with_deadline(script, seconds)
    Timeout.timeout(seconds) { run_ruby(script, env: @env) }
  end
end
