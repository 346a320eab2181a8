// Encode throughput of the example events, in one run: the eventbus
// Serializer, avsc (the frame added by hand) and
// @kafkajs/confluent-schema-registry (a pre-registered id, warm cache).
//
// Every encoder gets the same record: the example event as a Node service
// holds it, the way eventbus takes it (Date for timestamp-millis, text for
// dates, decimals, UUIDs and the microsecond timestamp). avsc converts no
// logical type itself, so it and confluent-schema-registry (which encodes
// with avsc) get the logical types a service has to write for them
// (logical-types.mjs). One more row hands avsc the record with every
// logical type already converted to its Avro carrier (numbers, a Buffer for
// the decimal): avsc's encoder alone, with the conversions done elsewhere.
// All write the same bytes, checked first.
//
// Needs the local registry: cargo xtask stack up; eval "$(cargo xtask stack env)".
// Run: ./run bench [rounds] [seconds per round]
// With EVENTBUS_BENCH_JSON=FILE it also appends the results to FILE as JSON
// lines for `cargo xtask bench`.
import { createRequire } from 'node:module'
import { appendFileSync, readFileSync } from 'node:fs'
import path from 'node:path'

import { logicalTypes } from './logical-types.mjs'

const require = createRequire(import.meta.url)
const here = import.meta.dirname
const { Serializer, VERSION } = require(path.join(here, '..'))
const avro = require('avsc')
const { SchemaRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry')

const rounds = Number(process.argv[2] ?? 7)
const seconds = Number(process.argv[3] ?? 1)
const examples = path.resolve(here, '../../../examples')
const schemaText = (name) => readFileSync(path.join(examples, 'schemas', `${name}.avsc`), 'utf8')
const record = (name) => JSON.parse(readFileSync(path.join(examples, 'records', `${name}.json`), 'utf8'))
const DAY_MS = 86_400_000

// The example event as a service holds it: timestamps to the millisecond
// as Dates.
const asHeld = {
  user: (e) => e,
  appointment: (e) => ({
    ...e,
    occurredAt: new Date(e.occurredAt),
    startTime: new Date(e.startTime),
    endTime: new Date(e.endTime),
  }),
  // No logical types.
  'visit-summary': (e) => e,
}

// The same event with each logical type converted to its Avro carrier.
const asCarriers = {
  user: (e) => ({ ...e, dateOfBirth: Date.parse(e.dateOfBirth) / DAY_MS }),
  appointment: (e) => ({
    ...e,
    occurredAt: Date.parse(e.occurredAt),
    startTime: Date.parse(e.startTime),
    endTime: Date.parse(e.endTime),
    appointmentDate: Date.parse(e.appointmentDate) / DAY_MS,
    copayAmount: Buffer.from([0x05, 0xdc]),
    updatedAt: Date.parse('2026-11-30T14:05:12.345Z') * 1000 + 678,
  }),
  'visit-summary': (e) => e,
}

const LABELS = {
  eventbus: 'eventbus Serializer',
  avsc: 'avsc + frame, logical types',
  csr: 'confluent-schema-registry, logical types',
  carriers: 'avsc + frame, values pre-converted',
}

async function encoders(name, registry) {
  const subject = `bench-node-${name}-value`
  const { id } = await registry.register({ type: SchemaType.AVRO, schema: schemaText(name) }, { subject })
  const ours = new Serializer({ schemaId: id, schema: schemaText(name) })
  const withLogicalTypes = avro.Type.forSchema(JSON.parse(schemaText(name)), { logicalTypes })
  const plain = avro.Type.forSchema(JSON.parse(schemaText(name)))
  const header = Buffer.from([0, 0, 0, 0, 0])
  header.writeUInt32BE(id, 1)
  await registry.getSchema(id) // warm the cache
  const held = asHeld[name](record(name))
  const carriers = asCarriers[name](record(name))
  return {
    eventbus: [() => ours.encode(held)],
    avsc: [() => Buffer.concat([header, withLogicalTypes.toBuffer(held)])],
    csr: [() => registry.encode(id, held), true],
    carriers: [() => Buffer.concat([header, plain.toBuffer(carriers)])],
  }
}

async function rate(encode, isAsync) {
  let done = 0
  const started = performance.now()
  const deadline = started + seconds * 1000
  while (performance.now() < deadline) {
    for (let i = 0; i < 1000; i++) {
      if (isAsync) await encode()
      else encode()
    }
    done += 1000
  }
  return (done * 1000) / (performance.now() - started)
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

const registry = new SchemaRegistry(
  {
    host: process.env.SCHEMA_REGISTRY_URL.replace(/\/$/, '') + (process.env.SCHEMA_REGISTRY_PATH_PREFIX ?? ''),
  },
  { [SchemaType.AVRO]: { logicalTypes } },
)
const avscVersion = require('avsc/package.json').version
const csrVersion = require('@kafkajs/confluent-schema-registry/package.json').version
const versions = {
  eventbus: `eventbus-producer ${VERSION}`,
  avsc: `avsc ${avscVersion} + frame, logical types, the same record`,
  csr: `@kafkajs/confluent-schema-registry ${csrVersion}, pinned id, logical types, the same record`,
  carriers: `avsc ${avscVersion} + frame, values pre-converted to Avro carriers`,
}
const table = {}
for (const name of ['user', 'appointment', 'visit-summary']) {
  const candidates = await encoders(name, registry)
  const written = {}
  for (const [label, [encode]] of Object.entries(candidates)) written[label] = Buffer.from(await encode()).toString('hex')
  if (new Set(Object.values(written)).size !== 1) throw new Error(`the encoders disagree on ${name}: ${JSON.stringify(written)}`)
  const rates = Object.fromEntries(Object.keys(candidates).map((label) => [label, []]))
  // Interleaved, so that a busy moment hits every encoder alike.
  for (let round = 0; round < rounds; round++) {
    for (const [label, [encode, isAsync]] of Object.entries(candidates)) rates[label].push(await rate(encode, isAsync))
  }
  table[name] = Object.fromEntries(Object.entries(rates).map(([label, values]) => [label, median(values)]))
  if (process.env.EVENTBUS_BENCH_JSON) {
    for (const [label, values] of Object.entries(rates)) {
      const line = { kind: 'encode', binding: 'node', event: name, implementation: versions[label], events_per_second: median(values), runs: values }
      appendFileSync(process.env.EVENTBUS_BENCH_JSON, JSON.stringify(line) + '\n')
    }
  }
}

console.log(`median events/s over ${rounds} rounds of ${seconds} s (Node ${process.version}, eventbus ${VERSION}, avsc ${avscVersion})`)
console.log()
const labels = Object.keys(LABELS)
console.log(`| event | ${labels.map((label) => LABELS[label]).join(' | ')} | vs avsc | vs confluent-schema-registry | vs avsc, pre-converted |`)
console.log(`|---|${labels.map(() => '---|').join('')}---|---|---|`)
const fmt = (n) => Math.round(n).toLocaleString('en-US')
for (const [name, m] of Object.entries(table)) {
  const ours = m.eventbus
  const ratio = (label) => `${(ours / m[label]).toFixed(2)}x`
  console.log(`| ${name} | ${labels.map((label) => fmt(m[label])).join(' | ')} | ${ratio('avsc')} | ${ratio('csr')} | ${ratio('carriers')} |`)
}
