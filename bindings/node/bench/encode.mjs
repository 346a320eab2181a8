// Encode throughput of the example events, in one run: the eventbus
// Serializer, avsc (the frame added by hand) and
// @kafkajs/confluent-schema-registry (a pre-registered id, warm cache).
//
// Needs the local registry: cargo xtask stack up; eval "$(cargo xtask stack env)".
// Run: ./run bench [rounds] [seconds per round]
// With EVENTBUS_BENCH_JSON=FILE it also appends the results to FILE as JSON
// lines for `cargo xtask bench`.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import path from 'node:path'

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

// avsc takes logical types as their Avro carriers; eventbus takes the
// record as a service holds it (here, as JSON.parse gives it).
const carriers = {
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
  // No logical types: the parsed JSON is what avsc takes too.
  'visit-summary': (e) => e,
}

async function encoders(name, registry) {
  const subject = `bench-node-${name}-value`
  const { id } = await registry.register({ type: SchemaType.AVRO, schema: schemaText(name) }, { subject })
  const ours = new Serializer({ schemaId: id, schema: schemaText(name) })
  const type = avro.Type.forSchema(JSON.parse(schemaText(name)))
  const header = Buffer.from([0, 0, 0, 0, 0])
  header.writeUInt32BE(id, 1)
  await registry.getSchema(id) // warm the cache
  const natural = record(name)
  const raw = carriers[name](natural)
  return {
    'eventbus Serializer': [() => ours.encode(natural)],
    'avsc + frame': [() => Buffer.concat([header, type.toBuffer(raw)])],
    'confluent-schema-registry': [() => registry.encode(id, raw), true],
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

const registry = new SchemaRegistry({
  host: process.env.SCHEMA_REGISTRY_URL.replace(/\/$/, '') + (process.env.SCHEMA_REGISTRY_PATH_PREFIX ?? ''),
})
const table = {}
const versions = {
  'eventbus Serializer': `eventbus-producer ${VERSION}`,
  'avsc + frame': `avsc ${require('avsc/package.json').version} + frame`,
  'confluent-schema-registry': `@kafkajs/confluent-schema-registry ${require('@kafkajs/confluent-schema-registry/package.json').version}, pinned id`,
}
const { appendFileSync } = await import('node:fs')
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

console.log(`median events/s over ${rounds} rounds of ${seconds} s (Node ${process.version}, eventbus ${VERSION}, avsc ${require('avsc/package.json').version})`)
console.log()
console.log('| event | eventbus Serializer | avsc + frame | confluent-schema-registry | vs avsc | vs confluent-schema-registry |')
console.log('|---|---|---|---|---|---|')
const fmt = (n) => Math.round(n).toLocaleString('en-US')
for (const [name, m] of Object.entries(table)) {
  const ours = m['eventbus Serializer']
  console.log(
    `| ${name} | ${fmt(ours)} | ${fmt(m['avsc + frame'])} | ${fmt(m['confluent-schema-registry'])} ` +
      `| ${(ours / m['avsc + frame']).toFixed(2)}x | ${(ours / m['confluent-schema-registry']).toFixed(1)}x |`,
  )
}
