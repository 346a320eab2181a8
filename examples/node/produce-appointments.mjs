// Sends an appointment event every few seconds to the Event Bus, with the
// eventbus-producer package alone: no kafkajs, no schema registry client, no
// token refresher.
//
// Settings come from the environment the Event Bus samples use:
// EB_BOOTSTRAP_SERVERS (or KAFKA_HOST), EB_SECURITY_PROTOCOL (SASL_SSL on MSK,
// the default; PLAINTEXT locally), SCHEMA_REGISTRY_URL,
// SCHEMA_REGISTRY_PATH_PREFIX, AWS_REGION and AWS_ROLE. The pinned schema ids
// the Event Bus team gives out: APPOINTMENTS_VALUE_SCHEMA_ID and, optionally,
// APPOINTMENTS_KEY_SCHEMA_ID. EVENT_COUNT stops after that many events;
// INTERVAL sets the seconds between them (default 5).
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'

import { Producer, setLogger } from 'eventbus-producer'

setLogger((level, target, message) => console.error(`${level} ${target}: ${message}`), 'info')

const topic = process.env.APPOINTMENTS_TOPIC ?? 'appointments'
const schemas = { valueSchemaId: Number(process.env.APPOINTMENTS_VALUE_SCHEMA_ID) }
if (process.env.APPOINTMENTS_KEY_SCHEMA_ID) schemas.keySchemaId = Number(process.env.APPOINTMENTS_KEY_SCHEMA_ID)
const count = process.env.EVENT_COUNT ? Number(process.env.EVENT_COUNT) : Infinity
const interval = Number(process.env.INTERVAL ?? 5) * 1000

function appointment(sequence) {
  const now = new Date()
  const start = new Date(now.getTime() + 86_400_000)
  return {
    eventId: randomUUID(),
    eventType: 'BOOKED',
    occurredAt: now,
    appointmentId: `A-${start.getUTCFullYear()}-${String(sequence).padStart(6, '0')}`,
    patientIcn: '1012345678V123456',
    status: 'BOOKED',
    startTime: start,
    endTime: new Date(start.getTime() + 30 * 60_000),
    appointmentDate: start.toISOString().slice(0, 10),
    durationMinutes: 30,
    facility: {
      stationId: '668',
      name: 'Mann-Grandstaff VA Medical Center',
      city: 'Spokane',
      state: 'WA',
      timezone: 'America/Los_Angeles',
    },
    clinicName: 'Primary Care Blue',
    providerName: null,
    visitType: 'IN_PERSON',
    procedureCodes: ['99213', 'G0438'],
    isTelehealth: false,
    reasonForVisit: 'Annual wellness visit',
    attributes: { insurancePlan: 'TRICARE' },
    copayAmount: '15.00',
    schemaVersion: 1,
    updatedAt: now,
  }
}

const producer = new Producer({ topics: { [topic]: schemas } })
try {
  await producer.ready()
  for (let sequence = 1; sequence <= count; sequence++) {
    const event = appointment(sequence)
    const key = schemas.keySchemaId ? event.appointmentId : undefined
    const report = await producer.produce({ topic, key, value: event })
    console.log(`appointment ${event.appointmentId} at partition ${report.partition}, offset ${report.offset}`)
    if (sequence < count) await sleep(interval)
  }
} finally {
  await producer.close(10_000)
}
