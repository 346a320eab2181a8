// The one error class of eventbus-wasm, shaped like eventbus-producer's:
// `code` is the core's stable kind name, `fieldPath` names the field of an
// invalid record (null for other errors), `retriable` is always false here
// since nothing in this package touches the network.
export class EventBusError extends Error {
  constructor(message, code, fieldPath, retriable) {
    super(message)
    this.name = 'EventBusError'
    this.code = code
    this.fieldPath = fieldPath ?? null
    this.retriable = Boolean(retriable)
  }
}
