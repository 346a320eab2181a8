// What the tests share: the package under test (this folder, or the packed
// tarball installed elsewhere when EVENTBUS_NODE_PACKAGE names it), the
// example schemas and events, and the local stack.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const require = createRequire(import.meta.url)
const here = path.dirname(fileURLToPath(import.meta.url))

/** The folder of the package under test. */
export const packageDir = process.env.EVENTBUS_NODE_PACKAGE ?? path.join(here, '..')
export const eventbus = require(packageDir)
/** The native addon itself, for tests of what the package does not export. */
export const addon = require(path.join(packageDir, `eventbus.${process.platform}-${process.arch}-gnu.node`))
/** The walk that writes values out for the addon. */
export const { Tape } = require(path.join(packageDir, 'tape.js'))
export const examples = path.resolve(here, '../../../examples')

export function schemaText(name) {
  return readFileSync(path.join(examples, 'schemas', `${name}.avsc`), 'utf8')
}

export function record(name) {
  return JSON.parse(readFileSync(path.join(examples, 'records', `${name}.json`), 'utf8'))
}

/** Skips the test without the stack's variables, except under cargo xtask test. */
export function stack(t, ...names) {
  const missing = ['EB_BOOTSTRAP_SERVERS', 'SCHEMA_REGISTRY_URL', ...names].filter(
    (name) => !process.env[name],
  )
  if (missing.length === 0) return true
  if (process.env.EVENTBUS_XTASK) throw new Error(`${missing.join(', ')} not set under cargo xtask test`)
  t.skip('needs the local stack: cargo xtask stack up; eval "$(cargo xtask stack env --test)"')
  return false
}

export function registryApi() {
  return process.env.SCHEMA_REGISTRY_URL.replace(/\/$/, '') + (process.env.SCHEMA_REGISTRY_PATH_PREFIX ?? '')
}

/** Registers `schema` under `subject` (test set-up only) and returns its id. */
export async function register(subject, schema) {
  const response = await fetch(`${registryApi()}/subjects/${subject}/versions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema }),
  })
  if (!response.ok) throw new Error(`registering ${subject}: ${response.status} ${await response.text()}`)
  return (await response.json()).id
}

export function uniqueTopic(prefix) {
  return `${prefix}-${Date.now()}-${randomBytes(3).toString('hex')}`
}

/** The first `count` messages of `topic`, read by a kafkajs consumer. */
export async function readBack(topic, count, timeoutMs = 30000) {
  const { Kafka, logLevel } = require('kafkajs')
  const kafka = new Kafka({ brokers: process.env.EB_BOOTSTRAP_SERVERS.split(','), logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: uniqueTopic('eventbus-node-tests') })
  await consumer.connect()
  const messages = []
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${messages.length} of ${count} messages`)), timeoutMs)
      consumer
        .run({
          eachMessage: async ({ message }) => {
            messages.push(message)
            if (messages.length >= count) {
              clearTimeout(timer)
              resolve()
            }
          },
        })
        .catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  return messages
}
