# frozen_string_literal: true

require_relative "test_helper"

# The producer against the stack's SASL_SSL listener, whose broker checks
# every MSK IAM token the way MSK does (signature, host, region, expiry,
# access key). The credentials are the stack's static test identity, from
# the environment, exactly as a Rails app on MSK gets its own.
class SaslTest < Minitest::Test
  include EventBusTestFiles
  include EventBusStack

  def setup
    require_stack("EVENTBUS_STACK_SASL_BOOTSTRAP_SERVERS", "EB_SSL_CA_LOCATION", "AWS_ACCESS_KEY_ID")
    @topic = unique_topic("ruby-sasl")
    @value_id = register("#{@topic}-value", schema_text("user"))
    @servers = ENV.fetch("EVENTBUS_STACK_SASL_BOOTSTRAP_SERVERS")
  end

  def test_produces_over_sasl_ssl_with_an_iam_token
    EventBus::Producer.open(topics: { @topic => { value_schema_id: @value_id } },
                            bootstrap_servers: @servers, security_protocol: "SASL_SSL") do |producer|
      report = producer.produce_sync(topic: @topic, value: record("user"))
      assert_equal 0, report.offset
    end
    assert_equal [record("user")], read_back(@topic, expected: 1).map { |m| m["value"] }
  end

  # The broker's refusal reaches the caller as an AuthError within the
  # start-up timeout, and the secret is in neither the message nor the logs.
  def test_a_wrong_secret_is_an_auth_error_at_start_up
    script = <<~RUBY
      require "eventbus"
      require "logger"
      EventBus.logger = Logger.new($stderr, level: Logger::DEBUG)
      begin
        EventBus::Producer.new(topics: { ENV.fetch("TOPIC") => { value_schema_id: Integer(ENV.fetch("VALUE_ID")) } },
                               bootstrap_servers: ENV.fetch("SERVERS"), security_protocol: "SASL_SSL",
                               startup_timeout: 15)
        puts "started"
      rescue EventBus::AuthError => e
        puts "refused: \#{e.kind}: \#{e.message}"
      end
    RUBY
    env = { "TOPIC" => @topic, "VALUE_ID" => @value_id.to_s, "SERVERS" => @servers,
            "AWS_SECRET_ACCESS_KEY" => "not-the-secret" }
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    output, errors, status = Timeout.timeout(60) { run_ruby(script, env: env) }
    elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started

    assert status.success?, errors
    assert_match(/\Arefused: auth: authentication failed/, output)
    refute_includes output + errors, "not-the-secret"
    assert_operator elapsed, :<, 40
  end
end
