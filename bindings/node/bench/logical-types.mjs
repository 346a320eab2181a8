// The avsc logical types a service writes to hand avsc an event the way it
// holds it, as eventbus takes it: Date (or RFC 3339 text) for timestamps,
// 'YYYY-MM-DD' for dates, decimal text, UUID text. avsc itself converts no
// logical type; these follow its documented LogicalType pattern, in the
// plainest way that writes the same bytes as eventbus, and check what they
// read the way eventbus does where that costs a line (a UUID's form).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const avro = require('avsc')

const DAY_MS = 86_400_000
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/

class TimestampMillis extends avro.types.LogicalType {
  _fromValue(millis) {
    return new Date(millis)
  }
  _toValue(value) {
    if (value instanceof Date) return value.getTime()
    return typeof value === 'string' ? Date.parse(value) : value
  }
}

class TimestampMicros extends avro.types.LogicalType {
  _fromValue(micros) {
    return micros
  }
  _toValue(value) {
    if (value instanceof Date) return value.getTime() * 1000
    if (typeof value !== 'string') return value
    // A Date holds whole milliseconds: the rest of the fraction is added.
    const [, seconds, fraction = ''] = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(value)
    const digits = fraction.padEnd(6, '0')
    return Date.parse(`${seconds}.${digits.slice(0, 3)}Z`) * 1000 + Number(digits.slice(3, 6))
  }
}

class DateDays extends avro.types.LogicalType {
  _fromValue(days) {
    return new Date(days * DAY_MS).toISOString().slice(0, 10)
  }
  _toValue(value) {
    return typeof value === 'string' ? Date.parse(value) / DAY_MS : value
  }
}

class Uuid extends avro.types.LogicalType {
  _fromValue(text) {
    return text
  }
  _toValue(value) {
    if (typeof value !== 'string' || !UUID.test(value)) throw new Error(`not a UUID: ${value}`)
    return value
  }
}

class Decimal extends avro.types.LogicalType {
  constructor(schema, options) {
    super(schema, options)
    this.scale = schema.scale ?? 0
  }
  _fromValue(bytes) {
    return bytes
  }
  // Decimal text to big-endian two's complement in the fewest bytes.
  _toValue(value) {
    if (Buffer.isBuffer(value)) return value
    const [whole, fraction = ''] = String(value).split('.')
    let unscaled = BigInt(whole + fraction.padEnd(this.scale, '0').slice(0, this.scale))
    const bytes = []
    do {
      bytes.unshift(Number(unscaled & 0xffn))
      unscaled >>= 8n
    } while (unscaled !== 0n && unscaled !== -1n)
    const negative = unscaled < 0n
    if ((bytes[0] & 0x80) !== (negative ? 0x80 : 0)) bytes.unshift(negative ? 0xff : 0)
    return Buffer.from(bytes)
  }
}

export const logicalTypes = {
  'timestamp-millis': TimestampMillis,
  'timestamp-micros': TimestampMicros,
  date: DateDays,
  uuid: Uuid,
  decimal: Decimal,
}
