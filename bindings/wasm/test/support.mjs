// What the tests share: the package under test (the built folder, or the
// installed tarball when EVENTBUS_WASM_PACKAGE names one), the repository's
// example files, and the native reference program.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))

export const packageDir = process.env.EVENTBUS_WASM_PACKAGE ?? join(repoRoot, 'target/wasm/pkg')

/** The package, imported through its Node entry. */
export async function loadPackage() {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'))
  const entry = manifest.exports['.'].node.default
  return import(pathToFileURL(join(packageDir, entry)).href)
}

export function repoText(path) {
  return readFileSync(join(repoRoot, path), 'utf8')
}

/**
 * Asks the host build of the core (bindings/wasm/examples/native_reference.rs)
 * about `cases`, through a file so that it reads exactly the JSON text
 * JavaScript would hand the WebAssembly build.
 */
export function askNative(cases) {
  const program =
    process.env.EVENTBUS_NATIVE_REFERENCE ?? join(repoRoot, 'target/debug/examples/native_reference')
  if (!existsSync(program)) {
    throw new Error(`${program} is missing: cargo build -p eventbus-wasm --example native_reference`)
  }
  const file = join(mkdtempSync(join(tmpdir(), 'eventbus-wasm-')), 'cases.json')
  writeFileSync(file, JSON.stringify(cases))
  const answers = JSON.parse(execFileSync(program, [file], { maxBuffer: 64 << 20 }).toString())
  if (answers.length !== cases.length) {
    throw new Error(`the native reference answered ${answers.length} of ${cases.length} cases`)
  }
  return answers
}

export function hex(bytes) {
  return Buffer.from(bytes).toString('hex')
}
