'use strict'

// A value written out for the native encoder in one pass of JavaScript:
// reading an object property by property through N-API costs more per
// property than V8 takes to run a whole small record through this walk.
// The addon's src/tape.rs reads it back and documents the layout; the tag
// numbers here and there are the same.
//
// Only the value's shape is written, with no knowledge of any schema: the
// core checks and encodes it. An object gives its own enumerable string
// keys whose values are not undefined, as JSON.stringify and Object.keys
// see them.

const NULL = 0
const FALSE = 1
const TRUE = 2
const NUMBER = 3
const STRING = 4
const DATE = 5
const BIGINT = 6
const BYTES = 7
const TYPED_ARRAY = 8
const ARRAY = 9
const OBJECT = 10
const FUNCTION = 11
const SYMBOL = 12
const TOO_DEEP = 13

// Keys met before, by the id the addon gave them: a record's keys are the
// same from one message to the next, so each crosses into the addon once
// per thread instead of once per message. The addon hands out the ids and
// stops at a bound (keys that are data, as a map's are, can be many); from
// then on new keys travel in the text.
const keyIds = new Map()
let internKey = null

// Called once by index.js with the addon's _internKey.
function useInterner(intern) {
  internKey = intern
}

function keyId(key) {
  const known = keyIds.get(key)
  if (known !== undefined || internKey === null) return known
  const id = internKey(key)
  if (id === null || id === undefined) {
    internKey = null
    return undefined
  }
  keyIds.set(key, id)
  return id
}

// Deeper than any schema the encoder takes: below it a value is cut off
// (the encoder names it if it matters), so a cyclic object cannot loop.
const MAX_DEPTH = 64
const FIRST_SLOTS = 4096

// Each slot is 8 bytes: a number's double, or a whole number (a tag, a
// length, a count, an index) in its low 4 bytes, written through an
// Int32Array over the same memory so that the addon reads it without a
// conversion from floating point.
class Tape {
  constructor() {
    this.slots = new Float64Array(FIRST_SLOTS)
    this.words = new Int32Array(this.slots.buffer)
    this.used = 0
    this.text = ''
    this.values = []
  }

  // Writes `value` over whatever the tape held.
  write(value) {
    this.used = 0
    // Empty unless a getter threw during the last write.
    this.release()
    // The text is carried through the walk rather than kept on the tape, so
    // that each piece added is not a write to an older object.
    this.text = put(this, value, 0, '')
  }

  // Lets go of the text and the values held, so that the tape does not keep
  // the caller's data alive between calls.
  release() {
    this.text = ''
    if (this.values.length > 0) this.values = []
  }
}

// Room for `more` slots past the used ones.
function reserve(tape, more) {
  const needed = tape.used + more
  if (needed <= tape.slots.length) return
  let size = tape.slots.length * 2
  while (size < needed) size *= 2
  const slots = new Float64Array(size)
  slots.set(tape.slots.subarray(0, tape.used))
  tape.slots = slots
  tape.words = new Int32Array(slots.buffer)
}

// Writes a whole number into slot `at`.
function whole(tape, at, n) {
  tape.words[2 * at] = n
}

function hold(tape, at, tag, value) {
  whole(tape, at, tag)
  whole(tape, at + 1, tape.values.push(value) - 1)
}

// Writes `value` at the end of the tape; returns `text` with the value's
// strings and keys appended.
function put(tape, value, depth, text) {
  reserve(tape, 2)
  const at = tape.used
  tape.used += 2
  switch (typeof value) {
    case 'string':
      whole(tape, at, STRING)
      whole(tape, at + 1, value.length)
      return text + value
    case 'number':
      whole(tape, at, NUMBER)
      tape.slots[at + 1] = value
      return text
    case 'boolean':
      whole(tape, at, value ? TRUE : FALSE)
      return text
    case 'undefined':
      whole(tape, at, NULL)
      return text
    case 'bigint':
      hold(tape, at, BIGINT, value)
      return text
    case 'function':
      whole(tape, at, FUNCTION)
      return text
    case 'symbol':
      whole(tape, at, SYMBOL)
      return text
  }
  if (value === null) {
    whole(tape, at, NULL)
    return text
  }
  if (depth >= MAX_DEPTH) {
    whole(tape, at, TOO_DEEP)
    return text
  }
  if (Array.isArray(value)) {
    const length = value.length
    whole(tape, at, ARRAY)
    whole(tape, at + 1, length)
    for (let i = 0; i < length; i++) text = put(tape, value[i], depth + 1, text)
    return text
  }
  if (value instanceof Date) {
    whole(tape, at, DATE)
    tape.slots[at + 1] = value.getTime()
    return text
  }
  if (ArrayBuffer.isView(value)) {
    if (value instanceof Uint8Array) hold(tape, at, BYTES, value)
    else if (value instanceof DataView) return putObject(tape, value, at, depth, text)
    else hold(tape, at, TYPED_ARRAY, value)
    return text
  }
  return putObject(tape, value, at, depth, text)
}

function putObject(tape, object, at, depth, text) {
  const keys = Object.keys(object)
  const values = Object.values(object)
  // Object.values reads from the same list of keys as Object.keys, and
  // skips any a getter removed meanwhile: then the two no longer pair up,
  // and each key is read on its own instead.
  const paired = values.length === keys.length
  let entries = 0
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]
    const item = paired ? values[i] : object[key]
    if (item === undefined) continue
    reserve(tape, 1)
    // A key slot: the id in the low word and 1 in the high one, or the
    // length and 0 with the key in the text.
    const slot = 2 * tape.used++
    const id = keyId(key)
    if (id === undefined) {
      tape.words[slot] = key.length
      tape.words[slot + 1] = 0
      text = put(tape, item, depth + 1, text + key)
    } else {
      tape.words[slot] = id
      tape.words[slot + 1] = 1
      text = put(tape, item, depth + 1, text)
    }
    entries++
  }
  whole(tape, at, OBJECT)
  whole(tape, at + 1, entries)
  return text
}

module.exports = { Tape, useInterner }
