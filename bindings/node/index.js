'use strict'

// eventbus-producer: produce events to the Enterprise Event Bus (Kafka on
// AWS MSK) with pinned Avro schemas in the Confluent wire format. The work
// is done by the eventbus Rust core, in the native addon loaded here.

const { EventBusError } = require('./errors.js')
const {
  Tape,
  useInterner,
  POOL_OFFSET,
  WRITTEN,
  SERIALIZER_SLOT,
  SERIALIZER_GENERATION,
} = require('./tape.js')

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
let poolBuffer = new ArrayBuffer(POOL_BYTES)
let poolUsed = 0
const handleOf = Symbol('eventbus.serializerHandle')
const encodeInto = addon._encodeInto

// A Buffer over part of an ArrayBuffer. Node's own Buffer class (what
// Buffer[Symbol.species] names) makes one in half the time subarray takes;
// Buffer.from makes the same view wherever that class is not to be had.
const Slice = Buffer[Symbol.species]
const slice =
  typeof Slice === 'function' && new Slice(new ArrayBuffer(1), 0, 1) instanceof Buffer
    ? (arrayBuffer, offset, length) => new Slice(arrayBuffer, offset, length)
    : (arrayBuffer, offset, length) => Buffer.from(arrayBuffer, offset, length)

function renewPool() {
  poolBuffer = new ArrayBuffer(POOL_BYTES)
  poolUsed = 0
}

// Where the addon finds a serializer: its slot and generation in the
// thread's registry. Kept on the serializer (hidden from enumeration and
// inspection) unless it was frozen, which costs a call into the addon each
// time.
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
    const into = poolBuffer
    const at = poolUsed
    const words = tape.words
    words[POOL_OFFSET] = at
    words[SERIALIZER_SLOT] = handle[0]
    words[SERIALIZER_GENERATION] = handle[1]
    let own
    try {
      own = encodeInto(tape.buffer, tape.values, into)
    } finally {
      tape.release()
    }
    if (own !== undefined) {
      // Little room was left: start afresh, so that the next one fits.
      if (POOL_BYTES - poolUsed < POOL_BYTES / 4) renewPool()
      return own
    }
    const written = words[WRITTEN]
    // Slices start 8-byte aligned, as Node's own do.
    poolUsed = (at + written + 7) & ~7
    if (poolUsed >= POOL_BYTES) renewPool()
    return slice(into, at, written)
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
