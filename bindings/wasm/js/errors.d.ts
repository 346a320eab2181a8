/**
 * The one error class of eventbus-wasm. `code` is the core's stable kind
 * name; `fieldPath` names the field of an invalid record (`'facility.city'`,
 * `'procedureCodes[2]'`, `''` for the root) and is null otherwise;
 * `retriable` is always false, since nothing here touches the network.
 */
export declare class EventBusError extends Error {
  readonly code: 'config' | 'invalid_schema' | 'schema_mismatch' | 'invalid_record' | 'decode'
  readonly fieldPath: string | null
  readonly retriable: boolean
}
