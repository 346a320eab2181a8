// The ES module face of eventbus-producer: the same objects as require().
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const eventbus = require('./index.js')

export const { Producer, Serializer, setLogger, VERSION, EventBusError } = eventbus
export default eventbus
