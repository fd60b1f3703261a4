import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { FastifyError, FastifyInstance } from 'fastify'
import type { Language } from '../config.js'
import { messages } from '../i18n/index.js'

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

/** The machine detail of a rejected field, as returned in `errors`. */
export interface FieldError {
  field: string
  message: string
}

/** Fastify's validation error as `errors`: the field's dotted path (a missing one named too) and Ajv's text. */
export function fieldErrors(err: FastifyError): FieldError[] {
  return (err.validation ?? []).map((v) => {
    const params = v.params as { additionalProperty?: string; missingProperty?: string }
    const path = v.instancePath.replace(/^\//, '').replaceAll('/', '.')
    const named = params.additionalProperty ?? params.missingProperty
    const field = named ? (path ? `${path}.${named}` : named) : path || (err.validationContext ?? 'body')
    return { field, message: params.additionalProperty ? 'unknown field' : (v.message ?? 'is invalid') }
  })
}

/**
 * The rider's `detail` for rejected fields: each field's own sentence once (a field that breaks two rules is
 * told once), a generic one for an unknown field or one without a sentence of its own.
 */
export function validationSentence(errors: readonly FieldError[], lang: Language): string {
  const texts = messages[lang].validation
  const own = texts.fields as Record<string, (() => string) | undefined>
  const sentences = new Set<string>()
  for (const { field, message } of errors) {
    const sentence = own[field.split('.').at(-1) ?? field]
    if (message === 'unknown field') sentences.add(texts.unknown({ field }))
    else sentences.add(sentence ? sentence() : texts.invalid({ field }))
  }
  return [...sentences].join(' ')
}
