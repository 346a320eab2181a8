'use strict'

/**
 * The one error class of eventbus-producer. `code` is the core's stable kind
 * name ('config', 'invalid_schema', 'registry_unavailable',
 * 'schema_not_found', 'schema_mismatch', 'invalid_record', 'decode', 'auth',
 * 'delivery', 'timeout', 'closed', 'queue_full'); `fieldPath` names the
 * field of an invalid record ('facility.city', 'procedureCodes[2]');
 * `retriable` says whether trying again may succeed.
 */
class EventBusError extends Error {
  constructor(message, code, fieldPath = null, retriable = false) {
    super(message)
    this.name = 'EventBusError'
    this.code = code
    this.fieldPath = fieldPath
    this.retriable = retriable
  }
}

module.exports = { EventBusError }
