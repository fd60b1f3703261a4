import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { FastifyInstance } from 'fastify'

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

/**
 * Bodies are validated strictly: no type coercion (`{"phone": 998901234567}` is a wrong type, not a number to
 * stringify) and unknown fields are errors, not silently dropped. Query strings and path parameters arrive as
 * text, so they are coerced.
 */
export function registerValidators(app: FastifyInstance): void {
  const make = (coerceTypes: boolean | 'array') => {
    const ajv = new Ajv({
      coerceTypes,
      removeAdditional: false,
      useDefaults: true,
      allErrors: true,
      strict: false,
    })
    addFormats(ajv)
    return ajv
  }
  const strict = make(false)
  const coercing = make('array')
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema),
  )
}
