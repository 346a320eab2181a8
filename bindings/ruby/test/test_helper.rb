# frozen_string_literal: true

# Loads the gem from this source tree (lib/, after `rake compile`), or, with
# EVENTBUS_TEST_INSTALLED=1, from whatever `gem install` put in GEM_HOME.
unless ENV["EVENTBUS_TEST_INSTALLED"] == "1"
  $LOAD_PATH.unshift(File.expand_path("../lib", __dir__))
end

require "eventbus"
require "json"
require "timeout"
require "minitest/autorun"

# librdkafka's warnings about brokers the tests make unreachable on purpose
# would bury the test output; EVENTBUS_TEST_LOG=1 shows everything.
EventBus.logger = Logger.new($stderr, level: ENV["EVENTBUS_TEST_LOG"] ? Logger::DEBUG : Logger::FATAL)

module EventBusTestFiles
  EXAMPLES = File.expand_path("../../../examples", __dir__)

  def schema_text(name)
    File.read(File.join(EXAMPLES, "schemas", "#{name}.avsc"))
  end

  def record(name)
    JSON.parse(File.read(File.join(EXAMPLES, "records", "#{name}.json")))
  end
end

# The local stack that `cargo xtask test` starts, and what the integration
# tests need from it: schema registration (test set-up only: the gem itself
# never registers), fresh topic names, and reading a topic back with the
# eventbus command.
module EventBusStack
  require "net/http"
  require "open3"
  require "securerandom"

  REPO = File.expand_path("../../..", __dir__)

  # Skips the test when the stack's variables are missing, except under
  # `cargo xtask test`, where a missing stack is a failure.
  def require_stack(*names)
    missing = (["SCHEMA_REGISTRY_URL", "EB_BOOTSTRAP_SERVERS"] + names).reject { |name| ENV[name] }
    return if missing.empty?
    flunk "#{missing.join(', ')} not set under cargo xtask test" if ENV["EVENTBUS_XTASK"]

    skip "needs the local stack (cargo xtask stack up; eval \"$(cargo xtask stack env --test)\")"
  end

  def unique_topic(prefix)
    "#{prefix}-#{Process.clock_gettime(Process::CLOCK_REALTIME, :nanosecond)}-#{SecureRandom.hex(3)}"
  end

  # Registers `schema` under `subject` and returns its id.
  def register(subject, schema)
    base = ENV.fetch("SCHEMA_REGISTRY_URL").chomp("/") + ENV.fetch("SCHEMA_REGISTRY_PATH_PREFIX", "")
    uri = URI("#{base}/subjects/#{subject}/versions")
    response = Net::HTTP.post(uri, JSON.generate(schema: schema),
                              "Content-Type" => "application/vnd.schemaregistry.v1+json")
    raise "registering #{subject}: #{response.code} #{response.body}" unless response.is_a?(Net::HTTPSuccess)

    JSON.parse(response.body).fetch("id")
  end

  # Every message on `topic`, decoded by the eventbus command, as Hashes
  # with "key", "value", "headers", "partition" and "offset".
  def read_back(topic, expected:, **env)
    cli = ENV.fetch("EVENTBUS_CLI", File.join(REPO, "target/debug/eventbus"))
    command = [cli, "consume", "--topic", topic, "--from-beginning", "--max", expected.to_s,
               "--timeout", "10", "--security-protocol", "PLAINTEXT"]
    output, errors, status = Open3.capture3(env.transform_keys(&:to_s), *command)
    assert status.success?, "eventbus consume failed: #{errors}"
    output.lines.map { |line| JSON.parse(line) }
  end

  # Runs `script` in a new Ruby that loads the gem the way these tests do.
  def run_ruby(script, env: {})
    loader = ENV["EVENTBUS_TEST_INSTALLED"] == "1" ? [] : ["-I", File.expand_path("../lib", __dir__)]
    Open3.capture3(env, RbConfig.ruby, *loader, "-e", script)
  end
end
