// Serializer: the Confluent frame, the same Avro bytes avsc writes and
// reads, JavaScript values in and out, and errors that name the field.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

import { Worker } from 'node:worker_threads'

import { addon, eventbus, packageDir, record, schemaText, Tape } from './helpers.mjs'

const require = createRequire(import.meta.url)
const avro = require('avsc')
const { Serializer, EventBusError } = eventbus

const users = new Serializer({ schemaId: 7, schema: schemaText('user') })
const appointments = new Serializer({ schemaId: 12, schema: schemaText('appointment') })

const DAY_MS = 86_400_000

/** The appointment as avsc takes it: logical types as their Avro carriers. */
function rawAppointment() {
  const event = record('appointment')
  const micros = (text) => {
    const [, fraction] = text.match(/\.(\d+)Z$/)
    return Date.parse(text.replace(/\.\d+Z$/, 'Z')) * 1000 + Number(fraction.padEnd(6, '0'))
  }
  return {
    ...event,
    occurredAt: Date.parse(event.occurredAt),
    startTime: Date.parse(event.startTime),
    endTime: Date.parse(event.endTime),
    appointmentDate: Date.parse(event.appointmentDate) / DAY_MS,
    // 15.00 at scale 2: the unscaled 1500, big-endian two's complement.
    copayAmount: Buffer.from([0x05, 0xdc]),
    updatedAt: micros(event.updatedAt),
  }
}

test('writes the frame, then the same Avro as avsc, for both events', () => {
  const user = record('user')
  const userBytes = users.encode(user)
  assert.deepEqual([...userBytes.subarray(0, 5)], [0, 0, 0, 0, 7])
  const userType = avro.Type.forSchema(JSON.parse(schemaText('user')))
  assert.deepEqual(
    userBytes.subarray(5),
    userType.toBuffer({ ...user, dateOfBirth: Date.parse(user.dateOfBirth) / DAY_MS }),
  )

  const bytes = appointments.encode(record('appointment'))
  assert.deepEqual([...bytes.subarray(0, 5)], [0, 0, 0, 0, 12])
  const type = avro.Type.forSchema(JSON.parse(schemaText('appointment')))
  assert.deepEqual(bytes.subarray(5), type.toBuffer(rawAppointment()))
  // avsc reads records into classes of its own: compare them as plain objects.
  const read = type.fromBuffer(bytes.subarray(5))
  assert.deepEqual({ ...read, facility: { ...read.facility } }, rawAppointment())
})

test('decode gives JavaScript values that encode back to the same bytes', () => {
  const bytes = appointments.encode(record('appointment'))
  const decoded = appointments.decode(bytes)
  assert.ok(decoded.occurredAt instanceof Date)
  assert.equal(decoded.occurredAt.toISOString(), '2026-11-30T14:05:12.345Z')
  // A Date holds milliseconds: finer timestamps come back as exact text.
  assert.equal(decoded.updatedAt, '2026-11-30T14:05:12.345678Z')
  assert.equal(decoded.appointmentDate, '2026-12-14')
  assert.equal(decoded.copayAmount, '15.00')
  assert.equal(decoded.providerName, null)
  assert.deepEqual(Object.keys(decoded.attributes), ['insurancePlan', 'language', 'interpreter'])
  assert.deepEqual(appointments.encode(decoded), bytes)
})

test('Dates, BigInts, undefined and Buffers are read as JavaScript holds them', () => {
  const event = record('appointment')
  const expected = appointments.encode(event)
  const native = {
    ...event,
    occurredAt: new Date(event.occurredAt),
    startTime: new Date(event.startTime),
    schemaVersion: undefined, // absent: the default, 1
    providerName: undefined, // absent: the default, null
  }
  assert.deepEqual(appointments.encode(native), expected)

  const long = new Serializer({ schemaId: 3, schema: '"long"' })
  const big = 2n ** 60n + 1n
  assert.equal(long.decode(long.encode(big)), big)
  assert.equal(long.decode(long.encode(42)), 42)
  // A number is a long when it is whole and within range.
  // Past Number.MAX_SAFE_INTEGER it decodes to a BigInt, down to -(2^63).
  const longs = [[2 ** 53, 2n ** 53n], [-0, 0], [-(2 ** 63), -(2n ** 63n)], [1e15, 1e15], [-7, -7]]
  for (const [n, decoded] of longs) assert.equal(long.decode(long.encode(n)), decoded, String(n))
  for (const n of [0.5, -1e-9, 2 ** 63, 1e300, NaN, Infinity, -Infinity, 4503599627370495.5]) {
    assert.throws(() => long.encode(n), { code: 'invalid_record' }, String(n))
  }

  const bytes = new Serializer({ schemaId: 4, schema: '"bytes"' })
  const blob = Buffer.from([0, 255, 7])
  assert.deepEqual(bytes.decode(bytes.encode(blob)), blob)
  assert.deepEqual(bytes.decode(bytes.encode(new Uint8Array([1, 2]))), Buffer.from([1, 2]))
})

test('a primitive key schema takes and gives the bare value', () => {
  const key = new Serializer({ schemaId: 11, schema: schemaText('appointment-key') })
  const bytes = key.encode('A-2026-000123')
  assert.deepEqual([...bytes.subarray(0, 5)], [0, 0, 0, 0, 11])
  assert.equal(key.decode(bytes), 'A-2026-000123')
})

for (const [change, path, problem] of [
  [(e) => (e.facility.city = null), 'facility.city', /expected string, found null/],
  [(e) => (e.procedureCodes[2] = 36415), 'procedureCodes[2]', /expected string, found integer/],
  [(e) => (e.attributes.insurancePlan = true), 'attributes["insurancePlan"]', /expected string, found boolean/],
  [(e) => (e.facility.phone = '555'), 'facility.phone', /unknown field/],
  [(e) => delete e.patientIcn, 'patientIcn', /missing field/],
  [(e) => (e.status = 'LOST'), 'status', /LOST/],
  [(e) => (e.durationMinutes = 2 ** 40), 'durationMinutes', /range|int/],
  [(e) => (e.occurredAt = new Date('not a date')), 'occurredAt', /./],
  [(e) => (e.copayAmount = '15.001'), 'copayAmount', /./],
  [(e) => (e.clinicName = () => 1), 'clinicName', /function/],
]) {
  test(`an invalid record names ${path}`, () => {
    const event = record('appointment')
    change(event)
    assert.throws(
      () => appointments.encode(event),
      (error) => {
        assert.ok(error instanceof EventBusError, String(error))
        assert.ok(error instanceof Error)
        assert.equal(error.code, 'invalid_record')
        assert.equal(error.fieldPath, path)
        assert.match(error.message, problem)
        assert.equal(error.retriable, false)
        return true
      },
    )
  })
}

test('messages handed out from the pool stay intact as later ones are encoded', () => {
  // Enough messages to fill several pools, each kept and checked afterwards.
  const sent = []
  for (let n = 0; n < 2000; n++) {
    const event = { ...record('user'), name: `user ${n}`, sequenceNumber: n }
    sent.push([event, users.encode(event)])
  }
  const pools = new Set(sent.map(([, bytes]) => bytes.buffer))
  assert.ok(pools.size > 1, 'the test should cross a pool boundary')
  for (const [event, bytes] of sent) {
    assert.deepEqual(users.decode(bytes), { ...event, dateOfBirth: event.dateOfBirth })
  }
})

test('a message bigger than the pool comes back whole, and small ones go on after it', () => {
  const big = { ...record('user'), name: 'x'.repeat(40_000) }
  const bytes = users.encode(big)
  assert.ok(bytes.length > 40_000)
  assert.equal(users.decode(bytes).name, big.name)
  const small = users.encode(record('user'))
  assert.deepEqual(users.decode(small), record('user'))
  assert.equal(users.decode(bytes).name, big.name)
})

test('a getter may encode too, and an exception it throws reaches the caller as it is', () => {
  const inner = record('user')
  const event = {
    ...record('user'),
    get company() {
      return `encoded ${users.encode(inner).length} bytes`
    },
  }
  const bytes = users.encode(event)
  assert.equal(users.decode(bytes).company, `encoded ${users.encode(inner).length} bytes`)

  const failing = {
    ...record('user'),
    get company() {
      throw new RangeError('from the getter')
    },
  }
  assert.throws(() => users.encode(failing), RangeError)
  // The serializer is unharmed.
  assert.deepEqual(users.decode(users.encode(inner)), inner)
})

test('keys holding undefined are absent; any other extra key is refused by name', () => {
  const event = { ...record('user'), nickname: undefined }
  assert.deepEqual(users.encode(event), users.encode(record('user')))
  assert.throws(
    () => users.encode({ ...record('user'), nickname: 'N' }),
    (error) => error.code === 'invalid_record' && error.fieldPath === 'nickname',
  )
  // Keys in any order encode the same.
  const { name, company, dateOfBirth, sequenceNumber } = record('user')
  assert.deepEqual(users.encode({ sequenceNumber, dateOfBirth, company, name }), users.encode(record('user')))
})

test('a frozen serializer encodes, and its handle is not an enumerable property', () => {
  const frozen = Object.freeze(new Serializer({ schemaId: 7, schema: schemaText('user') }))
  assert.deepEqual(frozen.decode(frozen.encode(record('user'))), record('user'))
  users.encode(record('user'))
  assert.deepEqual(Object.keys(users), [])
  assert.deepEqual(Object.getOwnPropertySymbols(users).filter((s) => Object.getOwnPropertyDescriptor(users, s).enumerable), [])
})

test('worker threads encode alongside the main thread, each with its own tape', async () => {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads')
    const { Serializer } = require(workerData.packageDir)
    const serializer = new Serializer({ schemaId: 12, schema: workerData.schema })
    let last
    for (let i = 0; i < 2000; i++) last = serializer.encode({ ...workerData.event, durationMinutes: i % 60 })
    parentPort.postMessage(last)
  `
  const workerData = { packageDir, schema: schemaText('appointment'), event: record('appointment') }
  const run = () =>
    new Promise((resolve, reject) => {
      const worker = new Worker(source, { eval: true, workerData })
      worker.once('message', resolve)
      worker.once('error', reject)
    })
  const pending = [run(), run()]
  for (let i = 0; i < 2000; i++) appointments.encode(record('appointment'))
  const expected = appointments.encode({ ...record('appointment'), durationMinutes: 1999 % 60 })
  for (const message of await Promise.all(pending)) assert.deepEqual(Buffer.from(message), expected)
})

// The header words of a tape (see src/tape.rs): bytes used, pool offset,
// message length, serializer slot and generation.
const USED = 0
const POOL_OFFSET = 1
const WRITTEN = 2
const SLOT = 3
const GENERATION = 4

/** A tape of `value` addressed to `serializer`, as index.js fills it in. */
function tapeFor(serializer, value) {
  const tape = new Tape()
  tape.write(value)
  const [slot, generation] = serializer._handle()
  tape.words[SLOT] = slot
  tape.words[GENERATION] = generation
  tape.words[POOL_OFFSET] = 0
  return tape
}

test('encode on something that is not a Serializer is a TypeError', () => {
  assert.throws(() => Serializer.prototype.encode.call({}, record('user')), TypeError)
  // The addon's encoder takes only a tape, its values and a pool, and a
  // serializer that its registry still holds.
  const pool = new ArrayBuffer(64)
  const tape = tapeFor(users, record('user'))
  const call = (...args) => addon._encodeInto(...args)
  for (const args of [
    [],
    [tape.buffer, tape.values],
    [{}, tape.values, pool],
    [tape.buffer, tape.values, Buffer.alloc(64)],
    [new Uint8Array(tape.buffer), tape.values, pool],
    [tape.buffer, tape.values, tape.buffer],
  ]) {
    assert.throws(() => call(...args), TypeError)
  }
  const retarget = (word, value) => {
    const other = tapeFor(users, record('user'))
    other.words[word] = value
    return other
  }
  for (const [word, value] of [
    [SLOT, 100000],
    [GENERATION, tape.words[GENERATION] + 1],
    [POOL_OFFSET, 65],
  ]) {
    const other = retarget(word, value)
    assert.throws(() => call(other.buffer, other.values, pool), TypeError)
  }
  assert.equal(call(tape.buffer, tape.values, pool), undefined)
  const written = tape.words[WRITTEN]
  assert.deepEqual(Buffer.from(pool, 0, written), users.encode(record('user')))
})

test('a serializer collected while others live leaves their encodes alone', async () => {
  let doomed = new Serializer({ schemaId: 3, schema: '"int"' })
  const [slot, generation] = doomed._handle()
  doomed = null
  for (let i = 0; i < 10 && typeof globalThis.gc === 'function'; i++) {
    globalThis.gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  // Whether or not it was collected, the pair it had names it or nothing.
  const tape = new Tape()
  tape.write(5)
  tape.words[SLOT] = slot
  tape.words[GENERATION] = generation
  const pool = new ArrayBuffer(64)
  try {
    addon._encodeInto(tape.buffer, tape.values, pool)
    assert.deepEqual(Buffer.from(pool, 0, tape.words[WRITTEN]), Buffer.from([0, 0, 0, 0, 3, 10]))
  } catch (err) {
    assert.ok(err instanceof TypeError)
  }
  const fresh = new Serializer({ schemaId: 8, schema: '"int"' })
  assert.deepEqual(fresh.encode(5), Buffer.from([0, 0, 0, 0, 8, 10]))
  assert.deepEqual(users.decode(users.encode(record('user'))), record('user'))
})

test('a tape that tape.js did not write is refused, and harms nothing', () => {
  const pool = new ArrayBuffer(256)
  const good = tapeFor(users, record('user'))
  const used = good.words[USED]
  const root = 24
  // Patches a copy of the good tape: `edit` gets its bytes and a DataView.
  const patched = (edit) => {
    const tape = tapeFor(users, record('user'))
    edit(tape.bytes, new DataView(tape.buffer))
    return tape
  }
  const firstKey = root + 9
  // Problems with the header or the tape as a whole are misuse.
  const misuse = {
    'more bytes used than the buffer holds': patched((b, v) => v.setInt32(0, b.length + 1, true)),
    'bytes left over past the value': patched((b, v) => v.setInt32(0, used + 1, true)),
    'a value cut short': patched((b, v) => v.setInt32(0, used - 1, true)),
    'nothing but the header': patched((b, v) => v.setInt32(0, root, true)),
    'an unknown tag': patched((b) => (b[root] = 99)),
    'an end before its start': patched((b, v) => v.setUint32(root + 5, 10, true)),
  }
  for (const [problem, tape] of Object.entries(misuse)) {
    assert.throws(() => addon._encodeInto(tape.buffer, tape.values, pool), TypeError, problem)
  }
  // Inside the value, the reader checks each step as the encoder takes it:
  // the record is refused as malformed.
  const malformed = {
    'a count past the entries': patched((b, v) => v.setUint32(root + 1, 2 ** 31 - 1, true)),
    'a count short of the entries': patched((b, v) => v.setUint32(root + 1, 1, true)),
    'a key id never handed out': patched((b, v) => v.setUint32(firstKey, 0x80000000 + 100000, true)),
    'a key length past the tape': patched((b, v) => v.setUint32(firstKey, 100000, true)),
  }
  for (const [problem, tape] of Object.entries(malformed)) {
    assert.throws(
      () => addon._encodeInto(tape.buffer, tape.values, pool),
      (err) => err.code === 'invalid_record' && /malformed/.test(err.message),
      problem,
    )
  }
  // Text that is not UTF-8 is never read as text.
  const text = tapeFor(strings(), ['ok'])
  text.bytes[root + 9 + 5] = 0xff
  assert.throws(() => addon._encodeInto(text.buffer, text.values, pool), { code: 'invalid_record' })
  // Nesting far past any schema's depth is read without recursion.
  const deep = tapeFor(strings(), [])
  const depth = 1000
  const view = new DataView(deep.buffer)
  for (let i = 0; i < depth; i++) {
    const at = root + 9 * i
    deep.bytes[at] = 9
    view.setUint32(at + 1, i === depth - 1 ? 0 : 1, true)
    view.setUint32(at + 5, root + 9 * depth, true)
  }
  deep.words[USED] = root + 9 * depth
  assert.throws(() => addon._encodeInto(deep.buffer, deep.values, pool), { code: 'invalid_record' })
  // A held value that is not there, or not bytes, is a record the encoder refuses.
  const bytes = new Serializer({ schemaId: 4, schema: '"bytes"' })
  const missing = tapeFor(bytes, Buffer.from('x'))
  missing.values.length = 0
  assert.throws(() => addon._encodeInto(missing.buffer, missing.values, pool), { code: 'invalid_record' })
  assert.deepEqual(users.decode(users.encode(record('user'))), record('user'))
})

/** A serializer of string arrays, for tapes of text. */
function strings() {
  return new Serializer({ schemaId: 9, schema: JSON.stringify({ type: 'array', items: 'string' }) })
}

test('the tape keeps text past ASCII, lone surrogates and odd values as JavaScript holds them', () => {
  const strings = new Serializer({
    schemaId: 9,
    schema: JSON.stringify({ type: 'array', items: 'string' }),
  })
  // A lone surrogate ends one string and another starts the next: each stays
  // a replacement character, as it would read apart.
  const texts = ['plain', 'é ü', '😀 and \u{10348}', 'ends \ud83d', '\ude00 starts', '']
  const decoded = strings.decode(strings.encode(texts))
  assert.deepEqual(decoded, ['plain', 'é ü', '😀 and \u{10348}', 'ends \ufffd', '\ufffd starts', ''])
  const type = avro.Type.forSchema({ type: 'array', items: 'string' })
  assert.deepEqual(type.fromBuffer(strings.encode(['é ü', '日本']).subarray(5)), ['é ü', '日本'])

  // A cycle, and a function or symbol where a value goes, are refused by path.
  const cyclic = { ...record('user') }
  cyclic.extra = cyclic
  assert.throws(() => users.encode(cyclic), (error) => error.code === 'invalid_record' && error.fieldPath === 'extra')
  assert.throws(
    () => users.encode({ ...record('user'), name: () => 'x' }),
    (error) => error.code === 'invalid_record' && error.fieldPath === 'name' && /function/.test(error.message),
  )
  assert.throws(
    () => users.encode({ ...record('user'), company: Symbol('x') }),
    (error) => error.fieldPath === 'company' && /symbol/.test(error.message),
  )
  const bytes = new Serializer({ schemaId: 4, schema: '"bytes"' })
  assert.throws(() => bytes.encode(new Uint16Array([1])), /typed array other than Uint8Array/)
  // Holes in an array read as null; inherited and symbol-keyed properties
  // are not the object's own, as for JSON.stringify.
  const nullable = new Serializer({
    schemaId: 10,
    schema: JSON.stringify({ type: 'array', items: ['null', 'int'] }),
  })
  assert.deepEqual(nullable.decode(nullable.encode([1, , 3])), [1, null, 3]) // eslint-disable-line no-sparse-arrays
  const inherited = Object.assign(Object.create({ nickname: 'N' }), record('user'), { [Symbol('s')]: 1 })
  assert.deepEqual(users.decode(users.encode(inherited)), record('user'))
  // A getter that removes a later property while the values are read: the
  // rest still pair with their own keys.
  const shrinking = { ...record('user') }
  Object.defineProperty(shrinking, 'name', {
    enumerable: true,
    configurable: true,
    get() {
      delete this.company
      return 'N'
    },
  })
  assert.throws(
    () => users.encode(shrinking),
    (error) => error.code === 'invalid_record' && error.fieldPath === 'company',
  )
  // Keys are interned per thread up to a bound; a map with more distinct
  // keys than that sends the rest in the text, and both read back.
  const counts = new Serializer({ schemaId: 11, schema: JSON.stringify({ type: 'map', values: 'int' }) })
  const wide = Object.fromEntries(Array.from({ length: 6000 }, (_, i) => [`key ${i} ü`, i]))
  assert.deepEqual(counts.decode(counts.encode(wide)), wide)
  assert.deepEqual(counts.decode(counts.encode({ 'key 1 ü': 1, later: 2 })), { 'key 1 ü': 1, later: 2 })
  // Slots grow past their first size for a big record.
  const many = Array.from({ length: 5000 }, (_, i) => `item ${i}`)
  assert.deepEqual(strings.decode(strings.encode(many)), many)
})

test('decode refuses another schema id and bytes that are not a message', () => {
  const bytes = users.encode(record('user'))
  assert.throws(() => appointments.decode(bytes), { code: 'schema_mismatch' })
  assert.throws(() => users.decode(Buffer.from('nope')), { code: 'decode' })
})

test('schema sources are checked', () => {
  assert.throws(() => new Serializer({ schemaId: 1, schema: '{"type": "nothing"}' }), { code: 'invalid_schema' })
  assert.throws(() => new Serializer({ schemaId: 1 }), { code: 'config' })
  assert.throws(() => new Serializer({ schemaId: 1, registryUrl: 'http://127.0.0.1:1' }), {
    code: 'config',
    message: /fromRegistry/,
  })
  assert.equal(users.schemaId, 7)
})

test('fromRegistry fetches off the event loop and reports the registry unreachable', async () => {
  await assert.rejects(
    Serializer.fromRegistry({ schemaId: 1, registryUrl: 'http://127.0.0.1:1' }),
    (error) => error instanceof EventBusError && error.code === 'registry_unavailable',
  )
})
