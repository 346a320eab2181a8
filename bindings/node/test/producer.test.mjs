// The producer against the local stack's PLAINTEXT listener and registry,
// read back by kafkajs and decoded by @kafkajs/confluent-schema-registry.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

import { eventbus, readBack, record, register, registryApi, schemaText, stack, uniqueTopic } from './helpers.mjs'

const require = createRequire(import.meta.url)
const { SchemaRegistry } = require('@kafkajs/confluent-schema-registry')
const { Producer, EventBusError } = eventbus

async function appointmentTopic(prefix) {
  const topic = uniqueTopic(prefix)
  const valueSchemaId = await register(`${topic}-value`, schemaText('appointment'))
  const keySchemaId = await register(`${topic}-key`, schemaText('appointment-key'))
  return { topic, valueSchemaId, keySchemaId }
}

function producerFor({ topic, valueSchemaId, keySchemaId }, settings = {}) {
  return new Producer({ topics: { [topic]: { valueSchemaId, keySchemaId } }, securityProtocol: 'PLAINTEXT', ...settings })
}

test('what it produces, confluent-schema-registry reads back field for field', async (t) => {
  if (!stack(t)) return
  const binding = await appointmentTopic('node-appointments')
  const producer = producerFor(binding)
  await producer.ready()
  const event = record('appointment')
  const report = await producer.produce({
    topic: binding.topic,
    key: event.appointmentId,
    value: event,
    headers: { source: 'node-test', raw: Buffer.from([1, 2]) },
  })
  assert.equal(report.topic, binding.topic)
  assert.equal(report.partition, 0)
  assert.equal(report.offset, 0)
  assert.equal(typeof report.timestamp, 'number')
  const second = await producer.produce({ topic: binding.topic, value: { ...event, providerName: 'Dr. Second' } })
  assert.equal(second.offset, 1)
  await producer.close(10000)
  assert.equal(producer.closed, true)

  const [first, last] = await readBack(binding.topic, 2)
  const registry = new SchemaRegistry({ host: registryApi() })
  const value = await registry.decode(first.value)
  assert.equal(await registry.decode(first.key), event.appointmentId)
  assert.equal(first.headers.source.toString(), 'node-test')
  assert.deepEqual([...first.headers.raw], [1, 2])
  // confluent-schema-registry gives logical types as their Avro carriers.
  assert.equal(value.occurredAt, Date.parse(event.occurredAt))
  assert.equal(value.appointmentDate, Date.parse(event.appointmentDate) / 86_400_000)
  for (const field of ['eventId', 'eventType', 'appointmentId', 'status', 'procedureCodes', 'reasonForVisit']) {
    assert.deepEqual(value[field], event[field], field)
  }
  assert.deepEqual({ ...value.facility }, event.facility)
  assert.deepEqual(value.attributes, event.attributes)
  assert.equal(last.key, null)
  assert.equal((await registry.decode(last.value)).providerName, 'Dr. Second')
})

test('a bad record is refused with its path, nothing is sent, and the producer goes on', async (t) => {
  if (!stack(t)) return
  const binding = await appointmentTopic('node-bad-record')
  const producer = producerFor(binding)
  await producer.ready()
  const bad = record('appointment')
  bad.procedureCodes = ['99213', 36415]
  await assert.rejects(producer.produce({ topic: binding.topic, value: bad }), (error) => {
    assert.ok(error instanceof EventBusError)
    assert.equal(error.code, 'invalid_record')
    assert.equal(error.fieldPath, 'procedureCodes[1]')
    return true
  })
  assert.equal(producer.inFlight, 0)
  const report = await producer.produce({ topic: binding.topic, value: record('appointment') })
  assert.equal(report.offset, 0)
  await producer.close(10000)
  assert.equal((await readBack(binding.topic, 1)).length, 1)
})

test('messages produced before start-up ends are sent in order once it does', async (t) => {
  if (!stack(t)) return
  const binding = await appointmentTopic('node-early')
  const producer = producerFor(binding)
  const event = record('appointment')
  const deliveries = []
  for (let i = 0; i < 20; i++) {
    // The caller's object may change after produce: the message may not.
    const value = { ...event, durationMinutes: i }
    deliveries.push(producer.produce({ topic: binding.topic, value }))
    value.durationMinutes = -1
  }
  const reports = await Promise.all(deliveries)
  assert.deepEqual(reports.map((r) => r.offset), [...Array(20).keys()])
  await producer.close(10000)
  const registry = new SchemaRegistry({ host: registryApi() })
  const messages = await readBack(binding.topic, 20)
  const durations = await Promise.all(messages.map(async (m) => (await registry.decode(m.value)).durationMinutes))
  assert.deepEqual(durations, [...Array(20).keys()])
})

test('a wrong schema id fails start-up, and every message with it', async (t) => {
  if (!stack(t)) return
  const producer = new Producer({
    topics: { [uniqueTopic('node-missing')]: { valueSchemaId: 987654 } },
    securityProtocol: 'PLAINTEXT',
  })
  // Handled from the start: it fails together with start-up.
  const early = assert.rejects(producer.produce({ topic: 'whatever', value: {} }), { code: 'schema_not_found' })
  await assert.rejects(producer.ready(), (error) => error.code === 'schema_not_found' && /987654/.test(error.message))
  await early
  await assert.rejects(producer.produce({ topic: 'whatever', value: {} }), { code: 'schema_not_found' })
})

test('settings are checked at once, before any network', () => {
  assert.throws(() => new Producer({ topics: { t: { valueSchemaId: 1 } }, securityProtocol: 'SSL' }), (error) => {
    assert.ok(error instanceof EventBusError)
    assert.equal(error.code, 'config')
    assert.match(error.message, /PLAINTEXT/)
    return true
  })
  assert.throws(() => new Producer({ topics: {}, bootstrapServers: 'localhost:9092' }), { code: 'config' })
  assert.throws(
    () => new Producer({ topics: { t: { valueSchemaId: 1 } }, bootstrapServers: 'localhost:9092', kafka: { 'sasl.mechanism': 'PLAIN' } }),
    { code: 'config' },
  )
})

test('unbound topics, keys without a key schema, and use after close are refused', async (t) => {
  if (!stack(t)) return
  const topic = uniqueTopic('node-refusals')
  const valueSchemaId = await register(`${topic}-value`, schemaText('user'))
  const producer = new Producer({ topics: { [topic]: { valueSchemaId } }, securityProtocol: 'PLAINTEXT' })
  await producer.ready()
  await assert.rejects(producer.produce({ topic: 'elsewhere', value: record('user') }), { code: 'config', message: /not bound/ })
  await assert.rejects(producer.produce({ topic, key: 'k', value: record('user') }), { code: 'config', message: /key schema/ })
  await assert.rejects(producer.produce({ topic, value: record('user'), headers: { trace: 7 } }), {
    code: 'config',
    message: /header "trace" must be a Buffer or a string, found/,
  })
  await producer.close(5000)
  await assert.rejects(producer.produce({ topic, value: record('user') }), { code: 'closed' })
  await assert.rejects(producer.flush(1000), { code: 'closed' })
})

test('the event loop keeps running while the producer waits and flushes', async (t) => {
  if (!stack(t)) return
  const binding = await appointmentTopic('node-event-loop')
  let ticks = 0
  const timer = setInterval(() => ticks++, 5)
  try {
    // No broker listens there: the flush waits out its timeout, off the loop.
    const stuck = producerFor(binding, { bootstrapServers: '127.0.0.1:1' })
    await stuck.ready()
    const pending = assert.rejects(stuck.produce({ topic: binding.topic, value: record('appointment') }), {
      code: 'delivery',
    })
    const started = Date.now()
    await assert.rejects(stuck.flush(1500), { code: 'timeout' })
    const waited = Date.now() - started
    assert.ok(waited >= 1400, `flush returned after ${waited} ms`)
    assert.ok(ticks >= waited / 5 / 4, `only ${ticks} ticks in ${waited} ms`)
    await assert.rejects(stuck.close(200), { code: 'timeout' })
    await pending
  } finally {
    clearInterval(timer)
  }
})

test('close reports what it could not deliver, and each message says so itself', async (t) => {
  if (!stack(t)) return
  const binding = await appointmentTopic('node-close-timeout')
  const producer = producerFor(binding, { bootstrapServers: '127.0.0.1:1' })
  await producer.ready()
  const deliveries = [1, 2, 3].map(() =>
    assert.rejects(producer.produce({ topic: binding.topic, value: record('appointment') }), (error) => {
      return error instanceof EventBusError && error.code === 'delivery'
    }),
  )
  assert.equal(producer.inFlight, 3)
  await assert.rejects(producer.close(1000), (error) => {
    assert.equal(error.code, 'timeout')
    assert.match(error.message, /3 messages/)
    return true
  })
  await Promise.all(deliveries)
})
