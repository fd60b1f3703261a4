import { createRequire } from 'node:module'
import type Twilio from 'twilio'

// The SDK is loaded when a Twilio provider is built or a Twilio receipt checked, not at start-up: it adds about
// 20 MB to a process that may never use it (development mode, the local gateways only).
const require = createRequire(import.meta.url)
export const sdk = () => require('twilio') as typeof Twilio
