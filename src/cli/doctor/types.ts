import Type from 'typebox'
import { Value } from 'typebox/value'
import type { Config } from '../../config.js'

export type Status = 'ok' | 'warn' | 'fail'

/** One line of the doctor's report. */
export interface Check {
  section: string
  status: Status
  message: string
  /** What to do about it (warnings and failures). */
  fix?: string
}

/** What the doctor knows about one SMS gateway. A new gateway adds a file beside twilio.ts and a line in PROVIDERS. */
export interface ProviderDoctor {
  /** The provider's name in settings, routes and the SMS log. */
  name: string
  label: string
  /** Its settings all start with this, e.g. TWILIO_; a bad one disables the provider's live check. */
  prefix: string
  /** Whether the raw settings ask for it (even if its other settings are broken). */
  switchedOn(settings: Record<string, string>): boolean
  /** Turns it off in a copy of the settings, so the other checks can run without it. */
  switchOff(settings: Record<string, string>): void
  /** ISO countries it can deliver to ('*': worldwide). */
  countries: '*' | readonly string[]
  /** How to fix each of its settings, shown under a configuration problem. */
  fixes: Record<string, string>
  /** Whether the (validated) configuration enables it. */
  enabled(config: Config): boolean
  /** What the doctor can say about the credentials once the configuration has validated them. */
  wellFormed(config: Config): Check[]
  /** Talks to the gateway with the configured credentials and base URL. */
  live(config: Config, section: string): Promise<Check[]>
}

/** A boolean setting as the configuration reads it (true, TRUE, 1). */
export const isTrue = (value: string | undefined): boolean =>
  value !== undefined && Value.Convert(Type.Boolean(), value) === true
