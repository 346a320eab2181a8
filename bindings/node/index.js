'use strict'

// eventbus-producer: produce events to the Enterprise Event Bus (Kafka on
// AWS MSK) with pinned Avro schemas in the Confluent wire format. The work
// is done by the eventbus Rust core, in the native addon loaded here.

const { EventBusError } = require('./errors.js')

function loadAddon() {
  const name = `eventbus.${process.platform}-${process.arch}-gnu.node`
  try {
    return require(`./${name}`)
  } catch (error) {
    if (error.code === 'MODULE_NOT_FOUND') {
      throw new Error(
        `eventbus-producer has no native addon for ${process.platform}-${process.arch} ` +
          `(looked for ${name}); it is built for linux-x64 with glibc`,
      )
    }
    throw error
  }
}

const addon = loadAddon()
// The addon throws and rejects with this class from now on.
addon._setErrorClass(EventBusError)

module.exports = {
  Producer: addon.Producer,
  Serializer: addon.Serializer,
  setLogger: addon.setLogger,
  VERSION: addon.VERSION,
  EventBusError,
}
