# frozen_string_literal: true

# A platform gem: the native extension is built by cargo (`rake compile`)
# and shipped prebuilt under lib/, so installing needs no compiler and no
# other gem. The version is the workspace's, from the root Cargo.toml.
workspace_manifest = File.read(File.expand_path("../../Cargo.toml", __dir__))
version = workspace_manifest[/^\[workspace\.package\].*?^version\s*=\s*"([^"]+)"/m, 1] or
  raise "no [workspace.package] version in Cargo.toml"

Gem::Specification.new do |spec|
  spec.name = "eventbus-producer"
  spec.version = version
  spec.platform = "x86_64-linux"
  spec.summary = "Produce events to the Enterprise Event Bus (Kafka on AWS MSK) with pinned Avro schemas"
  spec.description = "Ruby bindings to the eventbus Rust core: MSK IAM authentication, schema ids " \
                     "pinned from the registry, Avro in the Confluent wire format."
  spec.authors = ["eventbus maintainers"]
  spec.license = "Apache-2.0"
  spec.homepage = "https://example.invalid/eventbus"
  # The extension is linked against this Ruby's ABI.
  spec.required_ruby_version = "~> #{RUBY_VERSION[/\A\d+\.\d+/]}.0"
  spec.files = Dir["lib/**/*.rb"] + ["lib/eventbus_native.so", "README.md"]
  spec.require_paths = ["lib"]
end
