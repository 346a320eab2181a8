// Host values to the core's natural JSON text. JSON.stringify does almost
// everything (a Date becomes its ISO text, an undefined property is left
// out, so the field takes its default); the replacer adds bytes, which the
// core reads as a string of code points U+0000 to U+00FF.
function bytesAsCodePoints(bytes) {
  let text = ''
  for (let i = 0; i < bytes.length; i += 0x2000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x2000))
  }
  return text
}

function replacer(key, value) {
  // `this[key]` is the value before its toJSON: a Buffer's toJSON would
  // already have made it an object.
  const original = this[key]
  if (original instanceof Uint8Array) return bytesAsCodePoints(original)
  if (original instanceof ArrayBuffer) return bytesAsCodePoints(new Uint8Array(original))
  if (typeof original === 'bigint') {
    throw new TypeError(
      `${key ? `"${key}"` : 'the value'} is a BigInt, which this package cannot pass on exactly; ` +
        'give longs as numbers within Number.MAX_SAFE_INTEGER',
    )
  }
  return value
}

export function toNaturalJson(value) {
  const text = JSON.stringify(value, replacer)
  if (text === undefined) {
    throw new TypeError(`${typeof value} is not a record: give an object, array, string, number, boolean or null`)
  }
  return text
}
