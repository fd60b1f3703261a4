import type { FastifyRequest } from 'fastify'
import type { Language } from '../config.js'
import { fromAcceptLanguage, isLanguage } from '../i18n/index.js'

/** The language of a response: the body's `language` field, then Accept-Language, then DEFAULT_LANGUAGE. */
export function requestLanguage(request: FastifyRequest, fallback: Language): Language {
  const body = request.body as { language?: unknown } | undefined
  if (body && typeof body === 'object' && isLanguage(body.language)) return body.language
  return fromAcceptLanguage(request.headers['accept-language']) ?? fallback
}
