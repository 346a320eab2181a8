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

// Deeper than any schema the encoder takes: below it a value is cut off
// (the encoder names it if it matters), so a cyclic object cannot loop.
const MAX_DEPTH = 64
const FIRST_SLOTS = 4096

class Tape {
  constructor() {
    this.slots = new Float64Array(FIRST_SLOTS)
    this.used = 0
    this.text = ''
    this.values = []
  }

  // Writes `value` over whatever the tape held.
  write(value) {
    this.used = 0
    // Empty unless a getter threw during the last write.
    this.release()
    put(this, value, 0)
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
}

function hold(tape, tag, value) {
  tape.slots[tape.used++] = tag
  tape.slots[tape.used++] = tape.values.push(value) - 1
}

function put(tape, value, depth) {
  reserve(tape, 2)
  const slots = tape.slots
  const at = tape.used
  tape.used += 2
  switch (typeof value) {
    case 'string':
      slots[at] = STRING
      slots[at + 1] = value.length
      tape.text += value
      return
    case 'number':
      slots[at] = NUMBER
      slots[at + 1] = value
      return
    case 'boolean':
      slots[at] = value ? TRUE : FALSE
      return
    case 'undefined':
      slots[at] = NULL
      return
    case 'bigint':
      tape.used = at
      hold(tape, BIGINT, value)
      return
    case 'function':
      slots[at] = FUNCTION
      return
    case 'symbol':
      slots[at] = SYMBOL
      return
  }
  if (value === null) {
    slots[at] = NULL
    return
  }
  if (depth >= MAX_DEPTH) {
    slots[at] = TOO_DEEP
    return
  }
  if (Array.isArray(value)) {
    const length = value.length
    slots[at] = ARRAY
    slots[at + 1] = length
    for (let i = 0; i < length; i++) put(tape, value[i], depth + 1)
    return
  }
  if (value instanceof Date) {
    slots[at] = DATE
    slots[at + 1] = value.getTime()
    return
  }
  if (ArrayBuffer.isView(value)) {
    tape.used = at
    if (value instanceof Uint8Array) hold(tape, BYTES, value)
    else if (value instanceof DataView) putObject(tape, value, at, depth)
    else hold(tape, TYPED_ARRAY, value)
    return
  }
  putObject(tape, value, at, depth)
}

function putObject(tape, object, at, depth) {
  tape.used = at + 2
  const keys = Object.keys(object)
  let entries = 0
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]
    const item = object[key]
    if (item === undefined) continue
    reserve(tape, 1)
    tape.slots[tape.used++] = key.length
    tape.text += key
    put(tape, item, depth + 1)
    entries++
  }
  // The slots may have grown meanwhile: write through the current array.
  tape.slots[at] = OBJECT
  tape.slots[at + 1] = entries
}

module.exports = { Tape }
