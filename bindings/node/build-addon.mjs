// Builds the addon and writes index.d.ts from the Rust, as
// `napi build --platform --no-js --dts index.d.ts` does, but in cargo's own
// output folders.
//
// napi build always passes cargo a `--target`, and cargo then builds the
// whole dependency tree again in a folder of its own (target/<triple>/):
// librdkafka, aws-lc and the core, which the rest of the workspace has just
// built. Built as a plain workspace crate, the addon reuses them, but for the
// few whose features napi's own dependencies widen. The typings come from
// where napi build takes them: napi-derive writes each exported item's
// declaration into NAPI_TYPE_DEF_TMP_FOLDER while it compiles, and the
// napi-rs CLI's generateTypeDef turns those into the file.
//
//   node build-addon.mjs     (EVENTBUS_CARGO_PROFILE picks the profile, default dev)

import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { generateTypeDef } from '@napi-rs/cli'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const targetDir = process.env.CARGO_TARGET_DIR || join(root, 'target')
const profile = process.env.EVENTBUS_CARGO_PROFILE || 'dev'
// Cargo's folder for the dev profile is `debug`; every other profile's is its name.
const profileDir = profile === 'dev' ? 'debug' : profile
// The name index.js loads, as napi build's --platform names it.
const addon = `eventbus.${process.platform}-${process.arch}-gnu.node`

// Builds the addon and the typings; returns cargo's exit status.
async function build(typeDefDir) {
  const cargo = spawnSync(
    process.env.CARGO || 'cargo',
    ['build', '--package', 'eventbus-node', '--profile', profile],
    {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        NAPI_TYPE_DEF_TMP_FOLDER: typeDefDir,
        // The addon's build script reruns when this changes, so that the
        // macros run again and write the declarations even when the crate
        // was already built (by `cargo test --workspace`, say).
        NAPI_FORCE_BUILD_EVENTBUS_NODE: String(Date.now()),
      },
    },
  )
  if (cargo.error) throw cargo.error
  if (cargo.status !== 0) return cargo.status ?? 1

  // Copied beside the final name and renamed over it, so that a Node process
  // loading the addon meanwhile never sees half a file.
  const built = join(targetDir, profileDir, 'libeventbus_node.so')
  const staged = join(here, `.${addon}.tmp`)
  copyFileSync(built, staged)
  renameSync(staged, join(here, addon))

  const { dts } = await generateTypeDef({
    typeDefDir,
    // generateTypeDef ends the header with a line break of its own.
    dtsHeader: readFileSync(join(here, 'dts-header.d.ts'), 'utf8').replace(/\n+$/, ''),
    cwd: here,
    declareBindingTarget: false,
  })
  writeFileSync(join(here, 'index.d.ts'), dts)
  return 0
}

const typeDefDir = mkdtempSync(join(tmpdir(), 'eventbus-node-typedefs-'))
try {
  process.exitCode = await build(typeDefDir)
} finally {
  rmSync(typeDefDir, { recursive: true, force: true })
}
