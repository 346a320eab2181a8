// The WebAssembly build against the native build of the same core: every
// case goes to both, and the answers must be identical (bytes, decoded
// values, error codes, field paths and messages, catalog diagnostics,
// compatibility verdicts). Spot checks pin a few answers down, so that two
// builds failing alike cannot pass.
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'

import { askNative, hex, loadPackage, repoRoot, repoText } from './support.mjs'

const eventbus = await loadPackage()
const { Serializer, EventBusError, validateCatalog, checkCompatibility } = eventbus

const vectors = JSON.parse(repoText('bindings/wasm/test/vectors.json'))

/** The example events with the schema ids the demo registers them under. */
function exampleEncodeCases() {
  const schemas = {
    appointment: { id: 12, text: repoText('examples/schemas/appointment.avsc') },
    appointmentKey: { id: 11, text: repoText('examples/schemas/appointment-key.avsc') },
    user: { id: 7, text: repoText('examples/schemas/user.avsc') },
    userKey: { id: 6, text: repoText('examples/schemas/user-key.avsc') },
  }
  const cases = [
    { about: 'appointment.json', schema: schemas.appointment, value: JSON.parse(repoText('examples/records/appointment.json')) },
    { about: 'user.json', schema: schemas.user, value: JSON.parse(repoText('examples/records/user.json')) },
  ]
  for (const [file, value, key] of [
    ['appointments.jsonl', schemas.appointment, schemas.appointmentKey],
    ['users.jsonl', schemas.user, schemas.userKey],
  ]) {
    repoText(`examples/records/${file}`)
      .split('\n')
      .filter((line) => line.trim())
      .forEach((line, index) => {
        const message = JSON.parse(line)
        cases.push({ about: `${file}:${index + 1} value`, schema: value, value: message.value })
        cases.push({ about: `${file}:${index + 1} key`, schema: key, value: message.key })
      })
  }
  return cases.map((c) => ({
    about: c.about,
    schemaId: c.schema.id,
    schema: c.schema.text,
    value: c.value,
    expect: 'ok',
    reencodes: true,
  }))
}

function vectorEncodeCases() {
  return vectors.encode.flatMap((vector) =>
    vector.values.map((value, index) => ({
      about: `${vector.about} #${index + 1}`,
      schemaId: 7,
      schema: JSON.stringify(vector.schema),
      value,
      expect: vector.expect,
      reencodes: vector.reencodes === undefined,
    })),
  )
}

/** The answer of the WebAssembly build, in the native reference's shape. */
function wasmAnswer(run) {
  try {
    return run()
  } catch (err) {
    assert.ok(err instanceof EventBusError, `not an EventBusError: ${err}`)
    assert.ok(err instanceof Error)
    assert.equal(err.name, 'EventBusError')
    assert.equal(err.retriable, false)
    return { error: { code: err.code, fieldPath: err.fieldPath, message: err.message } }
  }
}

function wasmEncode({ schemaId, schema, value }) {
  return wasmAnswer(() => ({ hex: hex(new Serializer({ schemaId, schema }).encode(value)) }))
}

function wasmDecode({ schemaId, schema, hex: message }) {
  return wasmAnswer(() => ({ value: new Serializer({ schemaId, schema }).decode(Buffer.from(message, 'hex')) }))
}

const encodeCases = [...exampleEncodeCases(), ...vectorEncodeCases()]

test('encoding: the same bytes or the same error as the native build', () => {
  const native = askNative(encodeCases.map(({ schemaId, schema, value }) => ({ encode: { schemaId, schema, value } })))
  let encoded = 0
  let refused = 0
  encodeCases.forEach((c, i) => {
    const wasm = wasmEncode(c)
    assert.deepEqual(wasm, native[i], c.about)
    if (c.expect === 'ok') {
      assert.ok(wasm.hex, `${c.about}: expected bytes, got ${JSON.stringify(wasm)}`)
      assert.equal(wasm.hex.slice(0, 10), '00' + c.schemaId.toString(16).padStart(8, '0'), c.about)
      encoded += 1
    } else {
      assert.ok(wasm.error, `${c.about}: expected an error, got ${JSON.stringify(wasm)}`)
      assert.equal(wasm.error.code, c.expect.code, c.about)
      assert.equal(wasm.error.fieldPath, c.expect.fieldPath, c.about)
      refused += 1
    }
  })
  console.log(`${encoded} values encoded identically, ${refused} refused identically`)
})

test('encoding: spot checks against the Avro specification', () => {
  const long = new Serializer({ schemaId: 7, schema: '"long"' })
  assert.equal(hex(long.encode(1)), '000000000702')
  assert.equal(hex(long.encode(-64)), '00000000077f')
  assert.equal(hex(new Serializer({ schemaId: 258, schema: '"string"' }).encode('hé')), '000000010206' + '68c3a9')
  const union = new Serializer({ schemaId: 7, schema: '["null","int","string"]' })
  assert.equal(hex(union.encode('x')), '0000000007' + '040278')
})

test('decoding: the example events and vectors round-trip, as natively', () => {
  const encodable = encodeCases.filter((c) => c.expect === 'ok')
  const decodeCases = encodable.map((c) => ({ ...c, hex: wasmEncode(c).hex }))
  const native = askNative(decodeCases.map(({ schemaId, schema, hex: h }) => ({ decode: { schemaId, schema, hex: h } })))
  decodeCases.forEach((c, i) => {
    const wasm = wasmDecode(c)
    assert.deepEqual(wasm, native[i], c.about)
    assert.ok('value' in wasm, `${c.about}: ${JSON.stringify(wasm)}`)
    // What decode gives back encodes to the same bytes again.
    if (c.reencodes) assert.equal(wasmEncode({ ...c, value: wasm.value }).hex, c.hex, c.about)
  })
  const appointment = JSON.parse(repoText('examples/records/appointment.json'))
  assert.deepEqual(wasmDecode(decodeCases[0]).value, appointment)
})

test('decoding: malformed messages fail as natively', () => {
  const cases = vectors.decodeMalformed.map((c) => ({ ...c, schemaId: 7, schema: '"string"' }))
  const native = askNative(cases.map(({ schemaId, schema, hex: h }) => ({ decode: { schemaId, schema, hex: h } })))
  cases.forEach((c, i) => {
    const wasm = wasmDecode(c)
    assert.deepEqual(wasm, native[i], c.about)
    assert.ok(wasm.error, `${c.about}: decoded ${JSON.stringify(wasm)}`)
    assert.ok(['decode', 'schema_mismatch'].includes(wasm.error.code), c.about)
  })
})

test('catalog: the same diagnostics as the native build', () => {
  const dir = 'crates/eventbus/tests/catalog'
  const files = [
    'examples/catalog/catalog-info.yaml',
    ...readdirSync(join(repoRoot, dir)).filter((f) => f.endsWith('.yaml')).map((f) => `${dir}/${f}`),
  ]
  const texts = [
    ...files.map((file) => ({ about: file, text: repoText(file) })),
    { about: 'not YAML', text: 'apiVersion: [unclosed\n' },
    { about: 'empty', text: '' },
  ]
  const native = askNative(texts.map(({ text }) => ({ catalog: text })))
  let withProblems = 0
  texts.forEach(({ about, text }, i) => {
    const diagnostics = validateCatalog(text)
    assert.deepEqual({ diagnostics }, native[i], about)
    const errors = diagnostics.filter((d) => d.severity === 'error')
    if (about.includes('/bad-') || about === 'not YAML' || about === 'empty') {
      assert.ok(errors.length > 0, `${about}: no error reported`)
      withProblems += 1
    } else {
      assert.deepEqual(errors, [], about)
    }
    for (const d of diagnostics) {
      assert.ok(d.line >= 1 && d.column >= 1 && d.message && d.fix, `${about}: ${JSON.stringify(d)}`)
    }
  })
  console.log(`${texts.length} catalog files compared, ${withProblems} with errors`)
})

test('compatibility: the same verdicts as the native build, in every mode', () => {
  const { pairs } = JSON.parse(repoText('crates/eventbus/tests/data/compatibility-cases.json'))
  const modes = ['BACKWARD', 'FORWARD', 'FULL', 'backward-transitive', 'FORWARD_TRANSITIVE', 'full_transitive']
  const cases = []
  for (const pair of pairs) {
    for (const mode of modes) {
      cases.push({ about: `${pair.name} ${mode}`, newSchema: JSON.stringify(pair.new), previous: [JSON.stringify(pair.old)], mode })
    }
  }
  // Transitive modes look past the latest version: the oldest of three
  // lacks a field the newest needs without a default.
  const [first] = pairs
  cases.push({
    about: 'three versions, transitive',
    newSchema: JSON.stringify(first.old),
    previous: [JSON.stringify(first.new), JSON.stringify(first.old), JSON.stringify(first.old)],
    mode: 'FULL_TRANSITIVE',
  })
  cases.push({ about: 'no earlier version', newSchema: JSON.stringify(first.new), previous: [], mode: 'BACKWARD' })
  cases.push({ about: 'not a schema', newSchema: '{"type": "record"}', previous: [JSON.stringify(first.old)], mode: 'BACKWARD' })
  cases.push({ about: 'an unknown mode', newSchema: JSON.stringify(first.new), previous: [JSON.stringify(first.old)], mode: 'SIDEWAYS' })
  const native = askNative(cases.map(({ newSchema, previous, mode }) => ({ compatibility: { newSchema, previous, mode } })))
  let incompatible = 0
  cases.forEach((c, i) => {
    const wasm = wasmAnswer(() => ({ verdict: checkCompatibility(c.newSchema, c.previous, c.mode) }))
    assert.deepEqual(wasm, native[i], c.about)
    if (wasm.verdict && !wasm.verdict.compatible) incompatible += 1
  })
  // The core's own expectations for each pair hold in the wasm build too.
  for (const pair of pairs) {
    for (const [mode, compatible] of Object.entries(pair.expect)) {
      const verdict = checkCompatibility(JSON.stringify(pair.new), [JSON.stringify(pair.old)], mode)
      assert.equal(verdict.compatible, compatible, `${pair.name} under ${mode}`)
      assert.equal(verdict.breakingChanges.length === 0, compatible, `${pair.name} under ${mode}`)
    }
  }
  assert.ok(incompatible > 0, 'no pair was incompatible in any mode')
  assert.equal(native.at(-2).error.code, 'invalid_schema')
  assert.equal(native.at(-1).error.code, 'config')
  console.log(`${cases.length} compatibility checks compared, ${incompatible} incompatible`)
})
