// The onboarding page in headless Chromium: each tool with a good and a bad
// input, checked by what the page shows, reached by keyboard, and kept
// working offline once loaded. The browser may reach the page's own
// loopback server and nothing else; every other request is refused and
// fails the test. Screenshots of each tool are written to
// EVENTBUS_SCREENSHOTS (target/wasm/screenshots).
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { chromium } from 'playwright-core'

const pageUrl = process.env.EVENTBUS_WEB_URL
const screenshots = process.env.EVENTBUS_SCREENSHOTS ?? fileURLToPath(new URL('../../target/wasm/screenshots', import.meta.url))
const repo = (path) => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8')

const refused = []
const consoleErrors = []
let context
let page
let profile

function isLoopback(url) {
  const { protocol, hostname } = new URL(url)
  return protocol === 'data:' || protocol === 'blob:' || (['http:', 'https:', 'ws:'].includes(protocol) && hostname === '127.0.0.1')
}

before(async () => {
  assert.ok(pageUrl, 'EVENTBUS_WEB_URL is unset: run through cargo xtask wasm test')
  assert.ok(isLoopback(pageUrl), `${pageUrl} is not on loopback`)
  mkdirSync(screenshots, { recursive: true })
  profile = mkdtempSync(join(tmpdir(), 'eventbus-chromium-'))
  // playwright takes the profile folder as an argument rather than a
  // --user-data-dir switch; it is new and empty each run all the same.
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.EVENTBUS_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Names never resolve, so even a request that slipped past the
      // route below could not leave the machine.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
    viewport: { width: 1200, height: 900 },
  })
  await context.route('**/*', (route) => {
    const url = route.request().url()
    if (isLoopback(url)) return route.continue()
    refused.push(url)
    return route.abort('blockedbyclient')
  })
  page = context.pages()[0] ?? (await context.newPage())
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text())
  })
  page.on('pageerror', (err) => consoleErrors.push(String(err)))
  await page.goto(pageUrl)
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 })
})

after(async () => {
  await context?.close()
  if (profile) rmSync(profile, { recursive: true, force: true })
})

async function screenshot(section, name) {
  const file = join(screenshots, `${name}.png`)
  await page.locator(section).screenshot({ path: file })
  console.log(`screenshot: ${file}`)
}

test('the page loads everything from its own server and says it is ready', async () => {
  await assert.doesNotReject(page.getByRole('status').filter({ hasText: 'Ready.' }).waitFor())
  assert.equal(await page.title(), 'Joining the Event Bus: check your catalog entry, schemas and events')
  for (const label of ['catalog-info.yaml', 'New schema (.avsc)', 'Registered version 1 (.avsc)', 'Schema (.avsc)', 'Record (JSON)', 'Schema id', 'Compatibility mode']) {
    assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, `one control labelled ${label}`)
  }
  for (const region of ['#catalog-result', '#compatibility-result', '#encode-result']) {
    assert.equal(await page.locator(region).getAttribute('aria-live'), 'polite', region)
  }
})

test('catalog: a good file passes; a bad one lists each problem with line, path and fix', async () => {
  const input = page.getByLabel('catalog-info.yaml', { exact: true })
  const result = page.locator('#catalog-result')

  await input.fill(repo('examples/catalog/catalog-info.yaml'))
  await page.getByRole('button', { name: 'Check the catalog entry' }).click()
  await assert.doesNotReject(result.getByText('No problems: the catalog will accept this file.').waitFor())

  // Keyboard only: into the box, the bad file typed in, Tab to the button, Enter.
  await input.fill('')
  await input.focus()
  const bad = repo('crates/eventbus/tests/catalog/bad-environment.yaml')
  const badLine = bad.split('\n').findIndex((line) => line.includes('environment: staging')) + 1
  await page.keyboard.insertText(bad)
  await page.keyboard.press('Tab')
  await page.keyboard.press('Tab')
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Check the catalog entry')
  await page.keyboard.press('Enter')
  await assert.doesNotReject(result.getByText('The catalog will refuse this file: 1 error.').waitFor())
  const item = result.locator('li.diagnostic')
  assert.equal(await item.count(), 1)
  const text = await item.innerText()
  assert.ok(badLine > 1)
  assert.ok(text.startsWith(`Line ${badLine}, column 20 — spec.topics[1].environment (error)`), text)
  assert.match(text, /staging/)
  assert.match(text, /Fix: /)
  await screenshot('#catalog', 'catalog')

  // The line button puts the cursor on the offending line.
  await item.getByRole('button').click()
  const selected = await input.evaluate((area) => area.value.slice(area.selectionStart, area.selectionEnd))
  assert.match(selected, /environment: staging/)
})

test('catalog: a file dropped on the box is read and checked', async () => {
  const text = repo('crates/eventbus/tests/catalog/bad-retention-text.yaml')
  const transfer = await page.evaluateHandle((content) => {
    const data = new DataTransfer()
    data.items.add(new File([content], 'catalog-info.yaml', { type: 'text/yaml' }))
    return data
  }, text)
  await page.locator('#catalog-text').dispatchEvent('drop', { dataTransfer: transfer })
  await assert.doesNotReject(page.locator('#catalog-result li.diagnostic').filter({ hasText: 'spec.retention' }).first().waitFor())
  assert.equal(await page.locator('#catalog-text').inputValue(), text)
})

test('compatibility: an optional field passes BACKWARD; a required one breaks it, with the reason', async () => {
  const { pairs } = JSON.parse(repo('crates/eventbus/tests/data/compatibility-cases.json'))
  const fine = pairs.find((pair) => pair.expect.BACKWARD === true)
  const result = page.locator('#compatibility-result')
  await page.getByLabel('New schema (.avsc)').fill(JSON.stringify(fine.new, null, 2))
  await page.getByLabel('Registered version 1 (.avsc)').fill(JSON.stringify(fine.old, null, 2))
  await page.getByRole('button', { name: 'Check compatibility' }).click()
  await assert.doesNotReject(result.getByText('Compatible under BACKWARD with version 1.').waitFor())

  await page.getByRole('button', { name: 'Fill in an example' }).nth(1).click()
  await page.getByRole('button', { name: 'Check compatibility' }).click()
  await assert.doesNotReject(result.getByText('Not compatible under BACKWARD with version 1: 1 breaking change.').waitFor())
  const change = await result.locator('li.breaking-change').innerText()
  assert.match(change, /^gov\.va\.eventbus\.example\.ClaimSubmitted\.claimType|ClaimSubmitted\.claimType/)
  assert.match(change, /field added without default/)
  await screenshot('#compatibility', 'compatibility')

  // FORWARD lets old readers skip the new field.
  await page.getByLabel('Compatibility mode').selectOption('FORWARD')
  await page.getByRole('button', { name: 'Check compatibility' }).click()
  await assert.doesNotReject(result.getByText('Compatible under FORWARD with version 1.').waitFor())

  // A text that is not a schema is an error, not a verdict.
  await page.getByLabel('New schema (.avsc)').fill('{"type": "record"}')
  await page.getByRole('button', { name: 'Check compatibility' }).click()
  await assert.doesNotReject(result.getByText('Problem: invalid schema').waitFor())
  await page.getByLabel('Compatibility mode').selectOption('BACKWARD')
})

test('compatibility: transitive modes check every registered version', async () => {
  // Version 2 added `b` with a default; the new schema drops the default,
  // which events of version 2 satisfy and those of version 1 do not.
  const v1 = { type: 'record', name: 'E', fields: [{ name: 'a', type: 'string' }] }
  const v2 = { type: 'record', name: 'E', fields: [{ name: 'a', type: 'string' }, { name: 'b', type: 'int', default: 0 }] }
  const v3 = { type: 'record', name: 'E', fields: [{ name: 'a', type: 'string' }, { name: 'b', type: 'int' }] }
  await page.getByLabel('New schema (.avsc)').fill(JSON.stringify(v3))
  await page.getByLabel('Registered version 1 (.avsc)').fill(JSON.stringify(v1))
  await page.getByRole('button', { name: 'Add a later registered version' }).click()
  await page.getByLabel('Registered version 2 (.avsc)').fill(JSON.stringify(v2))
  const result = page.locator('#compatibility-result')
  await page.getByLabel('Compatibility mode').selectOption('BACKWARD')
  await page.getByRole('button', { name: 'Check compatibility' }).click()
  await assert.doesNotReject(result.getByText('Compatible under BACKWARD with version 2.').waitFor())
  await page.getByLabel('Compatibility mode').selectOption('BACKWARD_TRANSITIVE')
  await page.getByRole('button', { name: 'Check compatibility' }).click()
  await assert.doesNotReject(
    result.getByText('Not compatible under BACKWARD_TRANSITIVE with version 1, version 2: 1 breaking change.').waitFor(),
  )
  assert.match(await result.locator('li.breaking-change').innerText(), /^E\.b: .*Breaks the new schema reading events of version 1 /s)
})

test('encode: a good record shows the framed bytes; a bad one names the field', async () => {
  const result = page.locator('#encode-result')
  await page.getByLabel('Schema (.avsc)', { exact: true }).fill(repo('examples/schemas/user.avsc'))
  await page.getByLabel('Record (JSON)').fill(repo('examples/records/user.json'))
  await page.getByLabel('Schema id').fill('7')
  await page.getByRole('button', { name: 'Encode', exact: true }).click()
  await assert.doesNotReject(result.getByText(/^Encoded: \d+ bytes\.$/).waitFor())
  const hex = await page.locator('#encoded-hex').innerText()
  assert.match(hex, /^00 00 00 00 07 /)
  // The same bytes the Node tests check against the native build.
  const user = JSON.parse(repo('examples/records/user.json'))
  assert.ok(hex.replaceAll(' ', '').includes(Buffer.from(user.name).toString('hex')))
  await screenshot('#encode', 'encode')

  const bad = { ...user, dateOfBirth: '2000-02-30' }
  await page.getByLabel('Record (JSON)').fill(JSON.stringify(bad))
  await page.getByRole('button', { name: 'Encode', exact: true }).click()
  await assert.doesNotReject(result.getByText('Problem: invalid record at dateOfBirth').waitFor())
  assert.match(await result.innerText(), /invalid record: dateOfBirth: /)
  await screenshot('#encode', 'encode-error')

  await page.getByLabel('Record (JSON)').fill('{"name": ')
  await page.getByRole('button', { name: 'Encode', exact: true }).click()
  await assert.doesNotReject(result.getByText('Problem: the record is not JSON').waitFor())
})

test('once loaded, the page works offline', async () => {
  await context.setOffline(true)
  try {
    await page.getByRole('button', { name: 'Fill in an example' }).nth(2).click()
    await page.getByRole('button', { name: 'Encode', exact: true }).click()
    await assert.doesNotReject(page.locator('#encode-result').getByText(/^Encoded: /).waitFor())
    assert.match(await page.locator('#encoded-hex').innerText(), /^00 00 00 00 2a /)
  } finally {
    await context.setOffline(false)
  }
})

test('no request left loopback and the page logged no errors', () => {
  assert.deepEqual(refused, [])
  assert.deepEqual(consoleErrors, [])
})
