// The example producer does its job from the Event Bus samples' variables.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

import { examples, readBack, register, registryApi, schemaText, stack, uniqueTopic } from './helpers.mjs'

const require = createRequire(import.meta.url)
const { SchemaRegistry } = require('@kafkajs/confluent-schema-registry')

test('the example sends appointments', async (t) => {
  if (!stack(t)) return
  const topic = uniqueTopic('node-example')
  const valueSchemaId = await register(`${topic}-value`, schemaText('appointment'))
  const keySchemaId = await register(`${topic}-key`, schemaText('appointment-key'))

  // A folder where `import 'eventbus-producer'` finds the package under test.
  const scratch = mkdtempSync(path.join(tmpdir(), 'eventbus-example-'))
  t.after(() => rmSync(scratch, { recursive: true, force: true }))
  mkdirSync(path.join(scratch, 'node_modules'))
  const packageDir = process.env.EVENTBUS_NODE_PACKAGE ?? path.resolve(import.meta.dirname, '..')
  symlinkSync(packageDir, path.join(scratch, 'node_modules', 'eventbus-producer'))
  const script = path.join(scratch, 'produce-appointments.mjs')
  copyFileSync(path.join(examples, 'node', 'produce-appointments.mjs'), script)

  const { EB_BOOTSTRAP_SERVERS, EB_SECURITY_PROTOCOL, ...env } = process.env
  const { stdout } = await promisify(execFile)(process.execPath, [script], {
    env: {
      ...env,
      // The sample's own names for the brokers and protocol.
      KAFKA_HOST: EB_BOOTSTRAP_SERVERS,
      SECURITY_PROTOCOL: EB_SECURITY_PROTOCOL ?? 'PLAINTEXT',
      APPOINTMENTS_TOPIC: topic,
      APPOINTMENTS_VALUE_SCHEMA_ID: String(valueSchemaId),
      APPOINTMENTS_KEY_SCHEMA_ID: String(keySchemaId),
      EVENT_COUNT: '3',
      INTERVAL: '0',
    },
    timeout: 60000,
  })
  assert.equal(stdout.match(/at partition 0, offset \d+/g)?.length, 3, stdout)

  const registry = new SchemaRegistry({ host: registryApi() })
  const messages = await readBack(topic, 3)
  const keys = await Promise.all(messages.map((m) => registry.decode(m.key)))
  assert.deepEqual(keys.map((k) => k.slice(-6)), ['000001', '000002', '000003'])
  assert.equal((await registry.decode(messages[0].value)).eventType, 'BOOKED')
})
