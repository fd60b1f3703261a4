import Type from 'typebox'
import { Value } from 'typebox/value'

// Builders for settings: each setting's description is also the hint shown when its value is wrong.

export const oneOf = <const T extends string[]>(
  values: readonly [...T],
  def: T[number],
  description: string,
) => Type.Enum<T>(values, { default: def, description })
export const bool = (def: boolean, description: string) => Type.Boolean({ default: def, description })
export const int = (def: number, minimum: number, maximum: number, description: string) =>
  Type.Integer({ default: def, minimum, maximum, description: `${description} (${minimum}..${maximum})` })
export const optionalString = (description: string) => Type.Optional(Type.String({ description }))
/** A gateway's API base URL, with its default. */
export const baseUrl = (def: string) =>
  Type.String({ default: def, pattern: '^https?://[^/]+', description: 'an http(s) URL' })

/** A base URL or origin as compared and joined with paths: `https://x.uz/` and `https://x.uz` are one. */
export function withoutTrailingSlashes(url: string): string {
  return url.replace(/\/+$/, '')
}

/** A boolean setting as the configuration reads it (true, TRUE, 1). */
export const isTrue = (value: string | undefined): boolean =>
  value !== undefined && Value.Convert(Type.Boolean(), value) === true

/** ` (got "value")` for a problem line. */
export const got = (value: unknown): string => ` (got ${JSON.stringify(value)})`
