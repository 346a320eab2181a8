// Type-checked with tsc --strict (never run): a browser or worker user
// initialises the module before the first call.
import init, { Serializer } from 'eventbus-wasm/web'

await init()
await init({ module_or_path: new URL('https://example.invalid/eventbus_wasm_bg.wasm') })
new Serializer({ schemaId: 1, schema: '"long"' }).encode(1)
