'use strict'

// eventbus-producer: produce events to the Enterprise Event Bus (Kafka on
// AWS MSK) with pinned Avro schemas in the Confluent wire format. The work
// is done by the eventbus Rust core, in the native addon loaded here.

const { EventBusError } = require('./errors.js')
const { Tape, useInterner } = require('./tape.js')

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
useInterner(addon._internKey)

// Encoded messages are handed out the way Buffer.from hands out small
// buffers: as slices of a shared pool, so that each one costs no allocation
// of its own. A message too big for the room left comes back as a Buffer of
// its own. Like Node's pool, a slice keeps its whole pool alive while it is
// referenced.
const POOL_BYTES = 16 * 1024
let pool = Buffer.allocUnsafeSlow(POOL_BYTES)
let poolUsed = 0
const handleOf = Symbol('eventbus.serializerHandle')
const encodeInto = addon._encodeInto

function renewPool() {
  pool = Buffer.allocUnsafeSlow(POOL_BYTES)
  poolUsed = 0
}

// The addon's handle to a serializer, kept on it (hidden from enumeration
// and inspection) unless it was frozen, which costs a new handle a call.
function newHandle(serializer) {
  const handle = serializer._handle()
  if (Object.isExtensible(serializer)) {
    Object.defineProperty(serializer, handleOf, { value: handle })
  }
  return handle
}

// The tape values are written on for the addon. A getter on a value may
// itself encode while the value is written: that inner call gets a tape of
// its own.
const sharedTape = new Tape()
let writing = 0

Object.defineProperty(addon.Serializer.prototype, 'encode', {
  configurable: true,
  writable: true,
  value: function encode(value) {
    const handle = this[handleOf] ?? newHandle(this)
    const tape = writing === 0 ? sharedTape : new Tape()
    writing++
    try {
      tape.write(value)
    } finally {
      writing--
    }
    // No JavaScript runs from here until the message is in the pool.
    const into = pool
    const at = poolUsed
    let written
    try {
      written = encodeInto(handle, tape.slots, tape.used, tape.text, tape.values, into, at)
    } finally {
      tape.release()
    }
    if (typeof written !== 'number') {
      // Little room was left: start afresh, so that the next one fits.
      if (POOL_BYTES - poolUsed < POOL_BYTES / 4) renewPool()
      return written
    }
    // Slices start 8-byte aligned, as Node's own do.
    poolUsed = (at + written + 7) & ~7
    if (poolUsed >= POOL_BYTES) renewPool()
    return into.subarray(at, at + written)
  },
})

// Messages are written on tapes too: the value, the key and the headers.
// The addon copies what it keeps before it returns.
const newMessageTapes = () => ({ value: new Tape(), key: new Tape(), headers: new Tape() })
const messageTapes = newMessageTapes()
const nativeProduce = addon.Producer.prototype.produce

Object.defineProperty(addon.Producer.prototype, 'produce', {
  configurable: true,
  writable: true,
  value: function produce(message) {
    // Anything but an object is for the addon to refuse.
    if (message === null || typeof message !== 'object') return nativeProduce.call(this, message)
    const tapes = writing === 0 ? messageTapes : newMessageTapes()
    const { topic, value, key, headers } = message
    writing++
    try {
      tapes.value.write(value)
      if (key != null) tapes.key.write(key)
      if (headers != null) tapes.headers.write(headers)
    } finally {
      writing--
    }
    try {
      return nativeProduce.call(this, {
        topic,
        value: tapes.value,
        key: key == null ? undefined : tapes.key,
        headers: headers == null ? undefined : tapes.headers,
      })
    } finally {
      tapes.value.release()
      tapes.key.release()
      tapes.headers.release()
    }
  },
})

module.exports = {
  Producer: addon.Producer,
  Serializer: addon.Serializer,
  setLogger: addon.setLogger,
  VERSION: addon.VERSION,
  EventBusError,
}
