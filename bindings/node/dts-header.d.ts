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
