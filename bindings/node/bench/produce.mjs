// Producing through the addon to the local broker, as JSON lines for
// `cargo xtask bench`: start-up to the first delivered event, the resident
// memory an idle producer and a loaded one add, throughput of EVENTS
// appointment events, and the latency of produce-then-await; and the same
// through kafkajs with pre-encoded bytes (the library Node services use
// today), in the same process.
//
//   TOPIC=... VALUE_SCHEMA_ID=... [EVENTS=20000] [LATENCY_SAMPLES=300] node bench/produce.mjs
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

const require = createRequire(import.meta.url)
const here = import.meta.dirname
const { Producer, Serializer, VERSION } = require(process.env.EVENTBUS_NODE_PACKAGE ?? path.join(here, '..'))
const { Kafka, logLevel } = require('kafkajs')

const topic = process.env.TOPIC
const valueSchemaId = Number(process.env.VALUE_SCHEMA_ID)
const events = Number(process.env.EVENTS ?? 20000)
const samples = Number(process.env.LATENCY_SAMPLES ?? 300)
const examples = path.resolve(here, '../../../examples')
const event = JSON.parse(readFileSync(path.join(examples, 'records/appointment.json'), 'utf8'))
const payload = new Serializer({ schemaId: valueSchemaId, schema: readFileSync(path.join(examples, 'schemas/appointment.avsc'), 'utf8') }).encode(event)

const residentMib = () => Number(readFileSync('/proc/self/status', 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024
const percentile = (values, share) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * share))]

async function measure(implementation, { make, produce, flush, close }) {
  globalThis.gc?.()
  const baseline = residentMib()
  let started = performance.now()
  const client = await make()
  await produce(client)
  const startupMs = performance.now() - started
  await sleep(2000)
  const idle = residentMib() - baseline

  started = performance.now()
  const pending = []
  for (let i = 0; i < events; i++) pending.push(produce(client))
  await Promise.all(pending)
  await flush(client)
  const elapsed = (performance.now() - started) / 1000
  const loaded = residentMib() - baseline

  const latencies = []
  for (let i = 0; i < samples; i++) {
    const sent = performance.now()
    await produce(client)
    latencies.push(performance.now() - sent)
  }
  await close(client)
  return {
    binding: 'node',
    implementation,
    startup_ms: startupMs,
    idle_rss_mib: idle,
    load_rss_mib: loaded,
    events_per_second: events / elapsed,
    mb_per_second: (events * payload.length) / elapsed / 1e6,
    latency_p50_ms: percentile(latencies, 0.5),
    latency_p99_ms: percentile(latencies, 0.99),
  }
}

console.log(
  JSON.stringify(
    await measure(`eventbus-producer ${VERSION}`, {
      make: async () => new Producer({ topics: { [topic]: { valueSchemaId } } }),
      produce: (p) => p.produce({ topic, value: event }),
      flush: (p) => p.flush(120000),
      close: (p) => p.close(30000),
    }),
  ),
)

const kafkajsVersion = require('kafkajs/package.json').version
console.log(
  JSON.stringify(
    await measure(`kafkajs ${kafkajsVersion}, pre-encoded bytes`, {
      make: async () => {
        const kafka = new Kafka({ brokers: process.env.EB_BOOTSTRAP_SERVERS.split(','), logLevel: logLevel.NOTHING })
        const producer = kafka.producer({ idempotent: false, allowAutoTopicCreation: true })
        await producer.connect()
        return producer
      },
      produce: (p) => p.send({ topic, acks: -1, messages: [{ value: payload }] }),
      flush: async () => {},
      close: (p) => p.disconnect(),
    }),
  ),
)
