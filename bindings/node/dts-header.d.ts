/* The typings of eventbus-producer, generated from the Rust addon by
 * `napi build` (./run build) with this header; CI checks they are current. */

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
