// What the WebAssembly package adds over the core: host values in (bytes,
// dates, undefined), plain objects out, errors as EventBusError with the
// Node addon's attribute names, and settings checked before the core runs.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'

import { hex, loadPackage, packageDir, repoText } from './support.mjs'

const { Serializer, EventBusError, validateCatalog, checkCompatibility, version } = await loadPackage()

const bytesRecord = JSON.stringify({
  type: 'record',
  name: 'Blob',
  fields: [
    { name: 'payload', type: 'bytes' },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
})

function thrown(run) {
  try {
    run()
  } catch (err) {
    return err
  }
  assert.fail('expected an EventBusError')
}

test('bytes may be a Uint8Array, a Buffer or code points, alike', () => {
  const serializer = new Serializer({ schemaId: 9, schema: bytesRecord })
  const at = '2026-11-30T14:05:12.345Z'
  const fromText = serializer.encode({ payload: '\u0000\u00ff\u0041', at })
  assert.equal(hex(serializer.encode({ payload: new Uint8Array([0, 255, 65]), at })), hex(fromText))
  assert.equal(hex(serializer.encode({ payload: Buffer.from([0, 255, 65]), at })), hex(fromText))
  assert.equal(hex(serializer.encode({ payload: new Uint8Array([0, 255, 65]).buffer, at })), hex(fromText))
  assert.ok(fromText instanceof Uint8Array)
})

test('a Date is its ISO text; an undefined property takes the default', () => {
  const serializer = new Serializer({ schemaId: 9, schema: bytesRecord })
  const at = new Date(Date.UTC(2026, 10, 30, 14, 5, 12, 345))
  assert.equal(
    hex(serializer.encode({ payload: '', at, note: undefined })),
    hex(serializer.encode({ payload: '', at: '2026-11-30T14:05:12.345Z' })),
  )
  assert.deepEqual(serializer.decode(serializer.encode({ payload: 'ab', at })), {
    payload: 'ab',
    at: '2026-11-30T14:05:12.345Z',
    note: null,
  })
})

test('an invalid record throws EventBusError with code and fieldPath', () => {
  const serializer = new Serializer({ schemaId: 12, schema: repoText('examples/schemas/appointment.avsc') })
  const record = JSON.parse(repoText('examples/records/appointment.json'))
  record.facility.city = 42
  const err = thrown(() => serializer.encode(record))
  assert.ok(err instanceof EventBusError)
  assert.equal(err.code, 'invalid_record')
  assert.equal(err.fieldPath, 'facility.city')
  assert.match(err.message, /^invalid record: facility\.city: expected string, found/)
  // The serializer stays usable.
  record.facility.city = 'Spokane'
  assert.equal(serializer.encode(record)[4], 12)
})

test('values JSON cannot carry are refused at the root, with the reason', () => {
  const serializer = new Serializer({ schemaId: 1, schema: '"long"' })
  const big = thrown(() => serializer.encode(2n ** 60n))
  assert.equal(big.code, 'invalid_record')
  assert.equal(big.fieldPath, '')
  assert.match(big.message, /BigInt/)
  const nothing = thrown(() => serializer.encode(undefined))
  assert.equal(nothing.code, 'invalid_record')
  assert.match(nothing.message, /undefined is not a record/)
  const cycle = {}
  cycle.self = cycle
  assert.equal(thrown(() => serializer.encode(cycle)).code, 'invalid_record')
})

test('settings are checked: schemaId and schema', () => {
  for (const options of [undefined, 'x', { schema: '"long"' }, { schemaId: -1, schema: '"long"' }, { schemaId: 1.5, schema: '"long"' }, { schemaId: 2 ** 32, schema: '"long"' }, { schemaId: 1 }]) {
    const err = thrown(() => new Serializer(options))
    assert.ok(err instanceof EventBusError, String(options))
    assert.equal(err.code, 'config', JSON.stringify(options))
    assert.equal(err.fieldPath, null)
  }
  const bad = thrown(() => new Serializer({ schemaId: 1, schema: '{"type": "nope"}' }))
  assert.equal(bad.code, 'invalid_schema')
  assert.equal(new Serializer({ schemaId: 2 ** 32 - 1, schema: '"long"' }).schemaId, 2 ** 32 - 1)
})

test('decode refuses another schema id and malformed bytes', () => {
  const serializer = new Serializer({ schemaId: 7, schema: '"string"' })
  const other = new Serializer({ schemaId: 8, schema: '"string"' }).encode('x')
  assert.equal(thrown(() => serializer.decode(other)).code, 'schema_mismatch')
  assert.equal(thrown(() => serializer.decode(new Uint8Array([1, 0, 0, 0, 7]))).code, 'decode')
})

test('validateCatalog returns plain diagnostics with line, path and fix', () => {
  assert.deepEqual(validateCatalog(repoText('examples/catalog/catalog-info.yaml')), [])
  const diagnostics = validateCatalog(repoText('crates/eventbus/tests/catalog/bad-environment.yaml'))
  assert.ok(diagnostics.length >= 1)
  const [first] = diagnostics
  assert.deepEqual(Object.keys(first), ['severity', 'line', 'column', 'path', 'message', 'fix'])
  assert.equal(first.severity, 'error')
  assert.match(first.path, /^spec\.topics\[\d+\]\.environment$/)
})

test('checkCompatibility defaults to BACKWARD and names what breaks', () => {
  const old = JSON.stringify({ type: 'record', name: 'E', fields: [{ name: 'a', type: 'string' }] })
  const added = JSON.stringify({ type: 'record', name: 'E', fields: [{ name: 'a', type: 'string' }, { name: 'b', type: 'int' }] })
  const verdict = checkCompatibility(added, [old])
  assert.equal(verdict.mode, 'BACKWARD')
  assert.equal(verdict.compatible, false)
  assert.deepEqual(verdict.checkedVersions, [1])
  assert.equal(verdict.breakingChanges[0].kind, 'field_added_without_default')
  assert.equal(verdict.breakingChanges[0].direction, 'backward')
  assert.equal(verdict.breakingChanges[0].path, 'E.b')
  assert.equal(checkCompatibility(added, [old], 'forward').compatible, true)
  assert.equal(thrown(() => checkCompatibility(added, [old], 'SIDEWAYS')).code, 'config')
})

test('the package version is the core crate version', () => {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'))
  assert.equal(version(), manifest.version)
  const cargo = repoText('Cargo.toml').match(/\[workspace\.package\][^[]*?version = "([^"]+)"/)
  assert.equal(version(), cargo[1])
})
