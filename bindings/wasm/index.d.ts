/* The typings of eventbus-wasm: the classes and functions are generated
 * from the Rust crate by wasm-bindgen (eventbus_wasm.d.ts); this file adds
 * the error class and the entry points. */

export {
  default,
  initSync,
  Serializer,
  SerializerOptions,
  validateCatalog,
  CatalogDiagnostic,
  checkCompatibility,
  CompatibilityMode,
  CompatibilityVerdict,
  BreakingChange,
  version,
} from './eventbus_wasm.js'
export { EventBusError } from './js/errors.js'
