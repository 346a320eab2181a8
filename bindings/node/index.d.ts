/* The typings of eventbus-producer, generated from the Rust addon by
 * napi-rs (./run build) with this header; CI checks they are current. */

/**
 * The one error class of eventbus-producer. `code` is the core's stable kind
 * name; `fieldPath` names the field of an invalid record; `retriable` says
 * whether trying again may succeed.
 */
export declare class EventBusError extends Error {
  readonly code:
    | 'config'
    | 'invalid_schema'
    | 'registry_unavailable'
    | 'schema_not_found'
    | 'schema_mismatch'
    | 'invalid_record'
    | 'decode'
    | 'auth'
    | 'delivery'
    | 'timeout'
    | 'closed'
    | 'queue_full'
  readonly fieldPath: string | null
  readonly retriable: boolean
}

/**
 * `Serializer.prototype.encode`, defined by `index.js` around the addon's
 * encoder, so that small messages share a pooled slab as `Buffer.from`'s do.
 */
export interface Serializer {
  /**
   * Validates `value` against the schema and returns the framed message:
   * a zero byte, the schema id (4 bytes, big-endian), the Avro datum.
   * Throws an `EventBusError` with `code` `invalid_record` and the
   * `fieldPath` of the first field that does not fit. A message that fits
   * the room left in a shared 16 KiB pool is a slice of it, as small
   * `Buffer.from` results are of Node's: holding it holds the pool.
   */
  encode(value: unknown): Buffer
}

/** Produces Avro events to the Event Bus with pinned schemas. */
export declare class Producer {
  /**
   * Checks the settings and starts the producer in the background: every
   * topic's schemas are fetched, and with SASL_SSL the brokers asked to
   * accept the credentials. `ready()` tells how that went; messages
   * produced before then are sent once it is done.
   */
  constructor(options: ProducerOptions)
  /**
   * Resolves once the producer has started, or rejects with the reason
   * it could not (`schema_not_found`, `auth`, `registry_unavailable`, ...).
   */
  ready(): Promise<void>
  /**
   * Validates and encodes the message, then queues it. Resolves to where
   * the brokers wrote it; rejects with an `EventBusError` if it was
   * invalid (`code` `invalid_record`, with `fieldPath`; nothing is sent)
   * or could not be delivered (`code` `delivery`, with `retriable`).
   */
  produce(message: Message): Promise<DeliveryReport>
  /**
   * Resolves once every message produced so far is delivered or has
   * failed; rejects with `code` `timeout` if some are still queued after
   * `timeoutMs` (default 30000). They stay queued.
   */
  flush(timeoutMs?: number | undefined | null): Promise<void>
  /**
   * Delivers what is queued and stops the producer. Whatever is still
   * undelivered after `timeoutMs` (default 30000) is reported failed to
   * its own promise, and counted in the `timeout` error this rejects with.
   */
  close(timeoutMs?: number | undefined | null): Promise<void>
  /** Whether `close` has been called. */
  get closed(): boolean
  /** Messages produced whose delivery is not yet known. */
  get inFlight(): number
}

export declare class Serializer {
  /** A serializer for the schema text given, working offline. */
  constructor(options: SerializerOptions)
  /**
   * Fetches the schema pinned by `schemaId` from the registry, once, off
   * the event loop.
   */
  static fromRegistry(options: SerializerOptions): Promise<Serializer>
  /** The schema id written into every message. */
  get schemaId(): number
  /** Reads a framed message written with this serializer's schema id. */
  decode(message: Uint8Array): any
}

/** Where a message was written. */
export interface DeliveryReport {
  topic: string
  partition: number
  offset: number
  /** The message's timestamp from the broker, in milliseconds since the epoch. */
  timestamp?: number
}

/** What `produce` takes. */
export interface Message {
  topic: string
  /** The record, as a plain object. */
  value: Record<string, unknown>
  /** The key, for topics bound to a key schema. */
  key?: unknown
  /** Header names and values (`Buffer` or string). */
  headers?: Record<string, Buffer | string>
}

/**
 * Settings for a producer. Any not given are read from the environment
 * the way every eventbus tool reads it (`EB_BOOTSTRAP_SERVERS` or
 * `KAFKA_HOST`, `EB_SECURITY_PROTOCOL`, `SCHEMA_REGISTRY_URL`,
 * `AWS_REGION`, `AWS_ROLE`, ...).
 */
export interface ProducerOptions {
  /** Each topic this producer writes to, with its pinned schemas. */
  topics: Record<string, TopicSchemas>
  bootstrapServers?: string
  /** `SASL_SSL` (the default, with MSK IAM tokens) or `PLAINTEXT`. */
  securityProtocol?: string
  awsRegion?: string
  roleArn?: string
  roleSessionName?: string
  stsRegion?: string
  roleExternalId?: string
  /** A CA bundle for the brokers' certificates (PEM). */
  sslCaLocation?: string
  schemaRegistryUrl?: string
  schemaRegistryPathPrefix?: string
  /** `user:password`. */
  schemaRegistryBasicAuth?: string
  schemaRegistryCaLocation?: string
  enableIdempotence?: boolean
  /**
   * Extra librdkafka properties; those that contradict the Event Bus
   * rules are refused.
   */
  kafka?: Record<string, string>
  /** How long start-up may take (default 10000). */
  startupTimeoutMs?: number
  /** How long a message may take to be delivered (default 120000). */
  messageTimeoutMs?: number
  /** How long a message waits for room in a full local queue (default 5000). */
  enqueueTimeoutMs?: number
  /** The local queue's size in bytes (default 64 MiB). */
  queueMaxBytes?: number
}

/**
 * Where a `Serializer`'s schema comes from: `schema` (the `.avsc` text)
 * for `new Serializer`, `registryUrl` for `Serializer.fromRegistry`.
 */
export interface SerializerOptions {
  /** The registry id written into every message. */
  schemaId: number
  schema?: string
  registryUrl?: string
  /** A path before the registry's API, such as `/apis/ccompat/v7`. */
  pathPrefix?: string
}

/**
 * Sends the core's logs to `logger`, from `level` up (`"error"`,
 * `"warn"`, `"info"` (the default) or `"debug"`); `setLogger(null)` stops
 * them. The logger is called on the JavaScript thread; what it throws is
 * ignored. Tokens, secrets and payloads are never logged.
 */
export declare function setLogger(logger: ((level: 'error' | 'warn' | 'info' | 'debug', target: string, message: string) => void) | null, level?: 'error' | 'warn' | 'info' | 'debug'): void

/** One topic's pinned schemas. */
export interface TopicSchemas {
  /** The registry id of the value schema. */
  valueSchemaId: number
  /** The registry id of the key schema, if the topic's messages have keys. */
  keySchemaId?: number
  /**
   * A local copy of the value schema (`.avsc`): checked against the
   * registry at start-up, and used alone when the registry is unreachable.
   */
  valueSchemaFile?: string
  /** A local copy of the key schema. */
  keySchemaFile?: string
}

/** The package's version, the core crate's. */
export declare const VERSION: string
