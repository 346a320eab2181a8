# frozen_string_literal: true

# Loads the gem from this source tree (lib/, after `rake compile`), or, with
# EVENTBUS_TEST_INSTALLED=1, from whatever `gem install` put in GEM_HOME.
unless ENV["EVENTBUS_TEST_INSTALLED"] == "1"
  $LOAD_PATH.unshift(File.expand_path("../lib", __dir__))
end

require "eventbus"
require "json"
require "minitest/autorun"

module EventBusTestFiles
  EXAMPLES = File.expand_path("../../../examples", __dir__)

  def schema_text(name)
    File.read(File.join(EXAMPLES, "schemas", "#{name}.avsc"))
  end

  def record(name)
    JSON.parse(File.read(File.join(EXAMPLES, "records", "#{name}.json")))
  end
end
