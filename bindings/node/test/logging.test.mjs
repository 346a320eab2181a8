// setLogger receives the core's logs, on the JavaScript thread.
import { test } from 'node:test'
import assert from 'node:assert/strict'

import { eventbus, register, schemaText, stack, uniqueTopic } from './helpers.mjs'

const { Producer, setLogger } = eventbus

test('the core logs reach the logger, and never a secret', async (t) => {
  if (!stack(t)) return
  const records = []
  setLogger((level, target, message) => records.push({ level, target, message }), 'debug')
  try {
    const topic = uniqueTopic('node-logs')
    const valueSchemaId = await register(`${topic}-value`, schemaText('user'))
    const producer = new Producer({ topics: { [topic]: { valueSchemaId } }, securityProtocol: 'PLAINTEXT' })
    await producer.ready()
    await producer.close(5000)
    await new Promise((resolve) => setTimeout(resolve, 100))
  } finally {
    setLogger(null)
  }
  assert.ok(records.length > 0, 'no log records arrived')
  assert.ok(records.every((r) => ['error', 'warn', 'info', 'debug'].includes(r.level)))
  assert.ok(records.some((r) => r.target.startsWith('eventbus')), JSON.stringify(records.slice(0, 5)))
  const secret = process.env.AWS_SECRET_ACCESS_KEY
  if (secret) assert.ok(records.every((r) => !r.message.includes(secret)))
})

test('a logger that throws is ignored, and levels are checked', async (t) => {
  if (!stack(t)) return
  let calls = 0
  setLogger(() => {
    calls++
    throw new Error('logger failure')
  }, 'debug')
  try {
    const topic = uniqueTopic('node-throwing-logger')
    const valueSchemaId = await register(`${topic}-value`, schemaText('user'))
    const producer = new Producer({ topics: { [topic]: { valueSchemaId } }, securityProtocol: 'PLAINTEXT' })
    await producer.ready()
    await producer.close(5000)
    await new Promise((resolve) => setTimeout(resolve, 100))
  } finally {
    setLogger(null)
  }
  assert.ok(calls > 0)
  assert.throws(() => setLogger(() => {}, 'loud'), { code: 'config' })
})
