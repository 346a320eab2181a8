// Under ./run test-packed, the package the tests use is the installed tarball.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import path from 'node:path'

import { eventbus } from './helpers.mjs'

const require = createRequire(import.meta.url)

test('the package loaded is the one under test, at the crate version', (t) => {
  const installed = process.env.EVENTBUS_NODE_PACKAGE
  const manifest = JSON.parse(readFileSync(path.join(installed ?? path.join(import.meta.dirname, '..'), 'package.json'), 'utf8'))
  assert.equal(eventbus.VERSION, manifest.version)
  if (!installed) {
    t.skip('not under ./run test-packed')
    return
  }
  const addons = Object.keys(require.cache).filter((file) => file.endsWith('.node'))
  assert.ok(addons.length > 0 && addons.every((file) => file.startsWith(installed)), addons.join(', '))
})
