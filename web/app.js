// The onboarding page: three forms over eventbus-wasm. Results are written
// into live regions, so a screen reader announces them; every control is a
// native form element, so the keyboard reaches all of them in order.
import init, { Serializer, validateCatalog, checkCompatibility, EventBusError } from './eventbus-wasm/index.js'
import * as examples from './examples.js'

const $ = (selector) => document.querySelector(selector)

/** An element with text children only: pasted input never becomes markup. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  for (const child of children) node.append(child)
  return node
}

function show(region, tone, ...children) {
  region.className = `result ${tone}`
  region.replaceChildren(...children)
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? '' : 's'}`
}

/** An error from the package, or the host's, in words. */
function describeError(err) {
  if (err instanceof EventBusError) {
    const where = err.fieldPath === null ? '' : ` at ${err.fieldPath === '' ? 'the top level' : err.fieldPath}`
    return { title: `${err.code.replaceAll('_', ' ')}${where}`, detail: err.message }
  }
  return { title: 'unexpected error', detail: String(err?.message ?? err) }
}

function showError(region, err) {
  const { title, detail } = describeError(err)
  show(region, 'bad', el('h3', {}, `Problem: ${title}`), el('p', {}, detail))
}

// 1. catalog-info.yaml

function checkCatalog() {
  const text = $('#catalog-text').value
  const region = $('#catalog-result')
  if (!text.trim()) {
    show(region, 'bad', el('h3', {}, 'Nothing to check'), el('p', {}, 'Paste your catalog-info.yaml or drop the file on the box.'))
    return
  }
  const diagnostics = validateCatalog(text)
  const errors = diagnostics.filter((d) => d.severity === 'error').length
  const warnings = diagnostics.length - errors
  if (diagnostics.length === 0) {
    show(region, 'good', el('h3', {}, 'No problems: the catalog will accept this file.'))
    return
  }
  const summary = [errors && plural(errors, 'error'), warnings && plural(warnings, 'warning')].filter(Boolean).join(' and ')
  const list = el('ol', { class: 'diagnostics' })
  for (const d of diagnostics) {
    const goTo = el('button', { type: 'button', class: 'link', 'data-line': String(d.line), 'data-column': String(d.column) },
      `Line ${d.line}, column ${d.column}`)
    goTo.addEventListener('click', () => selectLine($('#catalog-text'), d.line))
    list.append(el('li', { class: `diagnostic ${d.severity}` },
      el('span', { class: 'where' }, goTo, d.path ? ` — ${d.path}` : '', ` (${d.severity})`),
      el('span', { class: 'message' }, `: ${d.message}`),
      el('span', { class: 'fix' }, `Fix: ${d.fix}`)))
  }
  const tone = errors ? 'bad' : 'warn'
  const verdict = errors ? 'The catalog will refuse this file' : 'The catalog will accept this file, but ignores something'
  show(region, tone, el('h3', {}, `${verdict}: ${summary}.`), list)
}

/** Moves the cursor to `line` (from 1) and selects it, for a keyboard user. */
function selectLine(textarea, line) {
  const lines = textarea.value.split('\n')
  const start = lines.slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0)
  textarea.focus()
  textarea.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0))
}

async function readDroppedFile(file) {
  $('#catalog-text').value = await file.text()
  checkCatalog()
}

// 2. compatibility

function previousTexts() {
  return [...document.querySelectorAll('.old-schema')].map((area) => area.value).filter((text) => text.trim())
}

function addVersion() {
  const container = $('#previous-versions')
  const number = container.querySelectorAll('.old-schema').length + 1
  const id = `old-schema-${number}`
  const area = el('textarea', { id, class: 'old-schema', rows: '8', spellcheck: 'false', autocomplete: 'off' })
  container.append(el('label', { for: id }, `Registered version ${number} (.avsc)`), area)
  area.focus()
}

function checkChange() {
  const region = $('#compatibility-result')
  const newSchema = $('#new-schema').value
  const previous = previousTexts()
  if (!newSchema.trim() || previous.length === 0) {
    show(region, 'bad', el('h3', {}, 'Two schemas needed'), el('p', {}, 'Paste the new schema and at least one registered version.'))
    return
  }
  let verdict
  try {
    verdict = checkCompatibility(newSchema, previous, $('#mode').value)
  } catch (err) {
    showError(region, err)
    return
  }
  const against = verdict.checkedVersions.map((v) => `version ${v}`).join(', ')
  if (verdict.compatible) {
    show(region, 'good', el('h3', {}, `Compatible under ${verdict.mode} with ${against}.`),
      el('p', {}, 'The registry will accept this version.'))
    return
  }
  const list = el('ol', { class: 'breaking-changes' })
  for (const change of verdict.breakingChanges) {
    const reading = change.direction === 'backward'
      ? `the new schema reading events of version ${change.version}`
      : `readers of version ${change.version} reading new events`
    list.append(el('li', { class: 'breaking-change' },
      el('span', { class: 'where' }, change.path), `: ${change.message}`,
      el('span', { class: 'fix' }, `Breaks ${reading} (${change.kind.replaceAll('_', ' ')}).`)))
  }
  show(region, 'bad',
    el('h3', {}, `Not compatible under ${verdict.mode} with ${against}: ${plural(verdict.breakingChanges.length, 'breaking change')}.`),
    list)
}

// 3. encode

function hexOf(bytes) {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(' ')
}

function encodeRecord() {
  const region = $('#encode-result')
  const schemaId = Number($('#schema-id').value)
  let record
  try {
    record = JSON.parse($('#encode-record').value)
  } catch (err) {
    show(region, 'bad', el('h3', {}, 'Problem: the record is not JSON'), el('p', {}, err.message))
    return
  }
  let bytes
  try {
    bytes = new Serializer({ schemaId, schema: $('#encode-schema').value }).encode(record)
  } catch (err) {
    showError(region, err)
    return
  }
  const header = el('span', { class: 'header' }, hexOf(bytes.subarray(0, 5)))
  const hex = el('p', { class: 'hex', id: 'encoded-hex' }, header, ' ', hexOf(bytes.subarray(5)))
  show(region, 'good',
    el('h3', {}, `Encoded: ${plural(bytes.length, 'byte')}.`),
    el('dl', {},
      el('dt', {}, 'Magic byte'), el('dd', {}, '00'),
      el('dt', {}, 'Schema id'), el('dd', {}, `${schemaId} (${hexOf(bytes.subarray(1, 5))})`),
      el('dt', {}, 'Avro datum'), el('dd', {}, plural(bytes.length - 5, 'byte'))),
    el('p', {}, 'The whole message in hex, header first:'),
    hex)
}

// Wiring

function wire() {
  const forms = { '#catalog-form': checkCatalog, '#compatibility-form': checkChange, '#encode-form': encodeRecord }
  for (const [selector, handler] of Object.entries(forms)) {
    $(selector).addEventListener('submit', (event) => {
      event.preventDefault()
      handler()
    })
  }
  $('#add-version').addEventListener('click', addVersion)
  $('#catalog-file').addEventListener('change', (event) => {
    const [file] = event.target.files
    if (file) readDroppedFile(file)
  })
  const drop = $('#catalog-text')
  drop.addEventListener('dragover', (event) => {
    event.preventDefault()
    drop.classList.add('dragging')
  })
  drop.addEventListener('dragleave', () => drop.classList.remove('dragging'))
  drop.addEventListener('drop', (event) => {
    event.preventDefault()
    drop.classList.remove('dragging')
    const [file] = event.dataTransfer.files
    if (file) readDroppedFile(file)
  })
  for (const button of document.querySelectorAll('[data-example]')) {
    button.addEventListener('click', () => fillExample(button.dataset.example))
  }
}

function fillExample(tool) {
  if (tool === 'catalog') $('#catalog-text').value = examples.catalog
  if (tool === 'compatibility') {
    $('#new-schema').value = examples.compatibility.newSchema
    $('#old-schema-1').value = examples.compatibility.oldSchema
  }
  if (tool === 'encode') {
    $('#encode-schema').value = examples.encode.schema
    $('#encode-record').value = examples.encode.record
    $('#schema-id').value = String(examples.encode.schemaId)
  }
}

const status = $('#engine-status')
try {
  await init()
  wire()
  status.textContent = 'Ready. Everything runs in this tab.'
  document.body.dataset.ready = 'true'
} catch (err) {
  status.className = 'status bad'
  status.textContent = `The checker could not load (${err.message}). Reload the page; if it persists, your browser may not support WebAssembly.`
}
