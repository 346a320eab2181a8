/* The typings of eventbus-wasm's Node entry, which instantiates the module
 * at import: no init call is needed. */

export {
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
