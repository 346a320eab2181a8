// eventbus-wasm for Node: the .wasm is read from beside this file and
// instantiated at import, so everything is ready to call.
import { readFileSync } from 'node:fs'
import { initSync } from './eventbus_wasm.js'

initSync({ module: readFileSync(new URL('./eventbus_wasm_bg.wasm', import.meta.url)) })

export { Serializer, validateCatalog, checkCompatibility, version } from './eventbus_wasm.js'
export { EventBusError } from './js/errors.js'
