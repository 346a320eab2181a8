// Type-checked with tsc --strict against the generated typings (never
// run): the calls a Node user makes, with the types they get back.
import {
  Serializer,
  EventBusError,
  validateCatalog,
  checkCompatibility,
  type CatalogDiagnostic,
  type CompatibilityVerdict,
} from 'eventbus-wasm'

const serializer = new Serializer({ schemaId: 7, schema: '"string"' })
const id: number = serializer.schemaId
const bytes: Uint8Array = serializer.encode('A-1')
const back: unknown = serializer.decode(bytes)

const diagnostics: CatalogDiagnostic[] = validateCatalog('apiVersion: x')
const lines: number[] = diagnostics.map((d) => d.line)
const severity: 'error' | 'warning' | undefined = diagnostics[0]?.severity

const verdict: CompatibilityVerdict = checkCompatibility('"string"', ['"string"'], 'FULL_TRANSITIVE')
const reasons: string[] = verdict.breakingChanges.map((change) => `${change.path}: ${change.message}`)
checkCompatibility('"string"', [])

try {
  serializer.encode(5)
} catch (err) {
  if (err instanceof EventBusError) {
    const code: string = err.code
    const path: string | null = err.fieldPath
    console.log(code, path)
  }
}

console.log(id, back, lines, severity, reasons)
