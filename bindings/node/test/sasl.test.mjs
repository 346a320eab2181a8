// SASL_SSL with MSK IAM tokens against the stack's listener, whose broker
// checks every token the way MSK does. The credentials are the stack's
// static test identity, from the environment, as a service on AWS gets its own.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

import { eventbus, readBack, record, register, schemaText, stack, uniqueTopic } from './helpers.mjs'

const { Producer } = eventbus
const SASL = ['EVENTBUS_STACK_SASL_BOOTSTRAP_SERVERS', 'EB_SSL_CA_LOCATION', 'AWS_ACCESS_KEY_ID']

test('produces over SASL_SSL with an IAM token', async (t) => {
  if (!stack(t, ...SASL)) return
  const topic = uniqueTopic('node-sasl')
  const valueSchemaId = await register(`${topic}-value`, schemaText('user'))
  const producer = new Producer({
    topics: { [topic]: { valueSchemaId } },
    bootstrapServers: process.env.EVENTBUS_STACK_SASL_BOOTSTRAP_SERVERS,
    securityProtocol: 'SASL_SSL',
  })
  await producer.ready()
  const report = await producer.produce({ topic, value: record('user') })
  assert.equal(report.offset, 0)
  await producer.close(10000)
  assert.equal((await readBack(topic, 1)).length, 1)
})

test('a wrong secret is an auth error at start-up, and the secret is never shown', async (t) => {
  if (!stack(t, ...SASL)) return
  const topic = uniqueTopic('node-sasl-refused')
  const valueSchemaId = await register(`${topic}-value`, schemaText('user'))
  const script = `
    const { Producer, setLogger } = require(${JSON.stringify(process.env.EVENTBUS_NODE_PACKAGE ?? new URL('..', import.meta.url).pathname)})
    setLogger((level, target, message) => console.error(level, target, message), 'debug')
    const producer = new Producer({
      topics: { ${JSON.stringify(topic)}: { valueSchemaId: ${valueSchemaId} } },
      bootstrapServers: process.env.EVENTBUS_STACK_SASL_BOOTSTRAP_SERVERS,
      securityProtocol: 'SASL_SSL',
      startupTimeoutMs: 15000,
    })
    producer.ready().then(
      () => console.log('started'),
      (error) => console.log('refused:', error.code, error.message),
    )
  `
  const started = Date.now()
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['-e', script], {
    env: { ...process.env, AWS_SECRET_ACCESS_KEY: 'not-the-secret' },
    timeout: 60000,
  })
  assert.match(stdout, /^refused: auth authentication failed/)
  assert.ok(!(stdout + stderr).includes('not-the-secret'))
  assert.ok(Date.now() - started < 40000)
})
