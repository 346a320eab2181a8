'use strict'

// A value written out for the native encoder in one pass of JavaScript:
// reading an object property by property through N-API costs more per
// property than V8 takes to run a whole small record through this walk, and
// so does every string copied out through N-API. The walk writes the value
// as bytes into one ArrayBuffer that the addon reads in place. The addon's
// src/tape.rs reads it back and documents the layout; the tag numbers here
// and there are the same.
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

// The header: six 32-bit words before the first value (see src/tape.rs).
const HEADER_BYTES = 24
const USED = 0
const POOL_OFFSET = 1
const WRITTEN = 2
const SERIALIZER_SLOT = 3
const SERIALIZER_GENERATION = 4

// A key word with this bit set carries an interned key's id; without it,
// the key's length in bytes, the key following.
const INTERNED = 0x80000000

// Keys met before, by the id the addon gave them: a record's keys are the
// same from one message to the next, so each crosses into the addon once
// per thread instead of once per message. The addon hands out the ids and
// stops at a bound (keys that are data, as a map's are, can be many); from
// then on new keys travel in the tape.
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

// The ids of an object's keys, by the object's list of keys: objects of one
// shape list the same key strings in the same order, so the ids found for
// the last object whose first key was the same are checked key by key (a
// comparison of two interned strings is one of pointers) before each key is
// looked up on its own.
const shapes = new Map()
const MAX_SHAPES = 1024
// Objects with more keys are maps holding data rather than records.
const MAX_SHAPE_KEYS = 256

function keyIdsOf(keys) {
  const count = keys.length
  const shape = shapes.get(keys[0])
  if (shape !== undefined && shape.keys.length === count) {
    const known = shape.keys
    let i = 0
    while (i < count && known[i] === keys[i]) i++
    if (i === count) return shape.ids
  }
  const ids = new Array(count)
  for (let i = 0; i < count; i++) {
    const id = keyId(keys[i])
    // A key the addon would not intern: no shape is kept for these keys.
    if (id === undefined) return null
    ids[i] = id
  }
  if (count <= MAX_SHAPE_KEYS && (shape !== undefined || shapes.size < MAX_SHAPES)) {
    shapes.set(keys[0], { keys, ids })
  }
  return ids
}

// Deeper than any schema the encoder takes: below it a value is cut off
// (the encoder names it if it matters), so a cyclic object cannot loop.
const MAX_DEPTH = 64
const FIRST_BYTES = 16 * 1024
// Shorter strings are written by a loop here; longer ones, and any with a
// character past ASCII, by Buffer's UTF-8 writer.
const SHORT_STRING = 48

class Tape {
  constructor() {
    this.setBuffer(new ArrayBuffer(FIRST_BYTES))
    this.used = HEADER_BYTES
    // Values the bytes cannot hold (Buffers and other typed arrays,
    // BigInts), by index.
    this.values = []
  }

  setBuffer(buffer) {
    this.buffer = buffer
    this.bytes = new Uint8Array(buffer)
    this.view = new DataView(buffer)
    this.words = new Int32Array(buffer, 0, HEADER_BYTES / 4)
    this.utf8 = Buffer.from(buffer)
  }

  // Writes `value` over whatever the tape held, and its length into the header.
  write(value) {
    this.used = HEADER_BYTES
    // Empty unless a getter threw during the last write.
    this.release()
    put(this, value, 0)
    this.words[USED] = this.used
  }

  // Lets go of the values held, so that the tape does not keep the caller's
  // data alive between calls.
  release() {
    if (this.values.length > 0) this.values = []
  }
}

// Room for `more` bytes past the used ones.
function reserve(tape, more) {
  const needed = tape.used + more
  if (needed <= tape.bytes.length) return
  let size = tape.bytes.length * 2
  while (size < needed) size *= 2
  const buffer = new ArrayBuffer(size)
  new Uint8Array(buffer).set(tape.bytes.subarray(0, tape.used))
  tape.setBuffer(buffer)
}

function hold(tape, tag, value) {
  const at = tape.used
  tape.bytes[at] = tag
  tape.view.setUint32(at + 1, tape.values.push(value) - 1, true)
  tape.used = at + 5
}

// Writes `text` at `at` as its length in bytes (4 bytes) and its UTF-8;
// returns where the next value goes. Room for the worst case is reserved.
function putText(tape, text, at) {
  const count = text.length
  const bytes = tape.bytes
  const start = at + 4
  let i = 0
  if (count <= SHORT_STRING) {
    for (; i < count; i++) {
      const unit = text.charCodeAt(i)
      if (unit >= 0x80) break
      bytes[start + i] = unit
    }
  }
  // A lone surrogate becomes U+FFFD, as it does in every UTF-8 writer.
  const length = i === count ? count : tape.utf8.write(text, start, 3 * count, 'utf8')
  tape.view.setUint32(at, length, true)
  return start + length
}

// Writes `value` at the end of the tape.
function put(tape, value, depth) {
  switch (typeof value) {
    case 'string': {
      reserve(tape, 5 + 3 * value.length)
      const at = tape.used
      tape.bytes[at] = STRING
      tape.used = putText(tape, value, at + 1)
      return
    }
    case 'number': {
      reserve(tape, 9)
      const at = tape.used
      tape.bytes[at] = NUMBER
      tape.view.setFloat64(at + 1, value, true)
      tape.used = at + 9
      return
    }
    case 'boolean':
      reserve(tape, 1)
      tape.bytes[tape.used++] = value ? TRUE : FALSE
      return
    case 'undefined':
      reserve(tape, 1)
      tape.bytes[tape.used++] = NULL
      return
    case 'bigint':
      reserve(tape, 5)
      hold(tape, BIGINT, value)
      return
    case 'function':
      reserve(tape, 1)
      tape.bytes[tape.used++] = FUNCTION
      return
    case 'symbol':
      reserve(tape, 1)
      tape.bytes[tape.used++] = SYMBOL
      return
  }
  if (value === null) {
    reserve(tape, 1)
    tape.bytes[tape.used++] = NULL
    return
  }
  if (depth >= MAX_DEPTH) {
    reserve(tape, 1)
    tape.bytes[tape.used++] = TOO_DEEP
    return
  }
  if (Array.isArray(value)) {
    reserve(tape, 9)
    const at = tape.used
    const count = value.length
    tape.used = at + 9
    for (let i = 0; i < count; i++) put(tape, value[i], depth + 1)
    closeContainer(tape, at, ARRAY, count)
    return
  }
  if (value instanceof Date) {
    reserve(tape, 9)
    const at = tape.used
    tape.bytes[at] = DATE
    tape.view.setFloat64(at + 1, value.getTime(), true)
    tape.used = at + 9
    return
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    reserve(tape, 5)
    hold(tape, value instanceof Uint8Array ? BYTES : TYPED_ARRAY, value)
    return
  }
  putObject(tape, value, depth)
}

// A container's tag, count and end, written once its contents are: the
// bytes may have moved to a larger buffer meanwhile, so the views are read
// again.
function closeContainer(tape, at, tag, count) {
  tape.bytes[at] = tag
  tape.view.setUint32(at + 1, count, true)
  tape.view.setUint32(at + 5, tape.used, true)
}

function putObject(tape, object, depth) {
  reserve(tape, 9)
  const at = tape.used
  tape.used = at + 9
  const keys = Object.keys(object)
  const values = Object.values(object)
  // Object.values reads from the same list of keys as Object.keys, and
  // skips any a getter removed meanwhile: then the two no longer pair up,
  // and each key is read on its own instead.
  const paired = values.length === keys.length
  const ids = keys.length > 0 ? keyIdsOf(keys) : null
  let entries = 0
  for (let i = 0; i < keys.length; i++) {
    const item = paired ? values[i] : object[keys[i]]
    if (item === undefined) continue
    const id = ids === null ? keyId(keys[i]) : ids[i]
    if (id === undefined) {
      const key = keys[i]
      reserve(tape, 4 + 3 * key.length)
      tape.used = putText(tape, key, tape.used)
    } else {
      reserve(tape, 4)
      tape.view.setUint32(tape.used, (id | INTERNED) >>> 0, true)
      tape.used += 4
    }
    put(tape, item, depth + 1)
    entries++
  }
  closeContainer(tape, at, OBJECT, entries)
}

module.exports = {
  Tape,
  useInterner,
  USED,
  POOL_OFFSET,
  WRITTEN,
  SERIALIZER_SLOT,
  SERIALIZER_GENERATION,
}
