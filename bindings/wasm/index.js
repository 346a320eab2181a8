// eventbus-wasm for browsers, edge workers and bundlers: call the default
// export (`await init()`) once before anything else. It fetches
// eventbus_wasm_bg.wasm from beside this file, or takes the module or its
// bytes: `await init({ module_or_path: bytes })`.
export { default, initSync, Serializer, validateCatalog, checkCompatibility, version } from './eventbus_wasm.js'
export { EventBusError } from './js/errors.js'
