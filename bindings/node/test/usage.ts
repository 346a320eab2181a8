// Type-checked in CI against index.d.ts (./run typecheck), never run: what
// a TypeScript service writes with this package must compile, and misuse
// must not.
import { EventBusError, Producer, Serializer, setLogger, type DeliveryReport } from 'eventbus-producer'

async function main(): Promise<void> {
  setLogger((level, target, message) => console.log(level, target, message), 'warn')
  setLogger(null)

  const producer = new Producer({
    topics: { appointments: { valueSchemaId: 12, keySchemaId: 11 } },
    securityProtocol: 'PLAINTEXT',
    kafka: { 'linger.ms': '10' },
    queueMaxBytes: 32 * 1024 * 1024,
  })
  await producer.ready()
  const report: DeliveryReport = await producer.produce({
    topic: 'appointments',
    key: 'A-1',
    value: { appointmentId: 'A-1', occurredAt: new Date() },
    headers: { source: 'scheduler', trace: Buffer.from([1]) },
  })
  const where: string = `${report.topic}/${report.partition}@${report.offset}`
  const timestamp: number | undefined = report.timestamp
  await producer.flush(5000)
  await producer.close()
  const closed: boolean = producer.closed
  const inFlight: number = producer.inFlight

  const offline = new Serializer({ schemaId: 7, schema: '"string"' })
  const bytes: Buffer = offline.encode('hello')
  const back: unknown = offline.decode(bytes)
  const fetched: Serializer = await Serializer.fromRegistry({ schemaId: 7, registryUrl: 'http://localhost:8081' })
  const id: number = fetched.schemaId

  try {
    offline.encode(42)
  } catch (error) {
    if (error instanceof EventBusError) {
      const code: EventBusError['code'] = error.code
      const path: string | null = error.fieldPath
      const retriable: boolean = error.retriable
      console.log(code, path, retriable)
    }
  }

  // @ts-expect-error: topics are required
  new Producer({ securityProtocol: 'PLAINTEXT' })
  // @ts-expect-error: schema ids are numbers
  new Producer({ topics: { t: { valueSchemaId: '12' } } })
  // @ts-expect-error: produce takes one message object
  await producer.produce('appointments', {})
  // @ts-expect-error: no such log level
  setLogger(() => {}, 'loud')

  console.log(where, timestamp, closed, inFlight, back, id)
}

void main()
