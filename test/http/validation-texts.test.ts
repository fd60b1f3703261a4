// A rejected body's `detail` is a sentence a rider can read, in their language; the machine detail is `errors`.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BACKENDS, buildTestApp, post, signIn } from '../helpers.js'

const SEND = '/api/v1/auth/send-otp'
const VERIFY = '/api/v1/auth/verify-otp'

const CASES = [
  {
    url: VERIFY,
    body: { phone: '+998901234567', code: '12' },
    uz: "Kod 4–10 ta raqamdan iborat bo'lishi kerak.",
    ru: 'Код должен состоять из 4–10 цифр.',
    en: 'The code must be 4–10 digits.',
    field: 'code',
  },
  {
    url: SEND,
    body: {},
    uz: "Telefon raqami +998901234567 ko'rinishida bo'lishi kerak.",
    ru: 'Номер телефона должен быть в формате +998901234567.',
    en: 'The phone number must be in the form +998901234567.',
    field: 'phone',
  },
  {
    url: '/api/v1/auth/refresh',
    body: { refresh_token: 7 },
    uz: "Yangilash tokeni 1–512 belgidan iborat matn bo'lishi kerak.",
    ru: 'Токен обновления должен быть строкой длиной от 1 до 512 символов.',
    en: 'The refresh token must be a text of 1 to 512 characters.',
    field: 'refresh_token',
  },
  {
    url: SEND,
    body: { phone: '+998901234567', captcha_token: '' },
    uz: "CAPTCHA tokeni 4096 belgigacha bo'lgan bo'sh bo'lmagan matn bo'lishi kerak.",
    ru: 'Токен CAPTCHA должен быть непустой строкой длиной до 4096 символов.',
    en: 'The CAPTCHA token must be a non-empty text of at most 4096 characters.',
    field: 'captcha_token',
  },
  {
    url: SEND,
    body: { phone: '+998901234567', admin: true },
    uz: "Noma'lum maydon: admin.",
    ru: 'Неизвестное поле: admin.',
    en: 'Unknown field: admin.',
    field: 'admin',
  },
] as const

test('every validation error reads as a sentence in uz, ru and en naming the field', async (t) => {
  const ta = await buildTestApp(t)
  for (const c of CASES)
    for (const lang of ['uz', 'ru', 'en'] as const) {
      const res = await post(ta.app, c.url, c.body, { 'accept-language': lang })
      assert.equal(res.statusCode, 422, res.body)
      const body = res.json()
      assert.equal(body.code, 'VALIDATION_ERROR')
      assert.equal(body.detail, c[lang], `${c.field} ${lang}`)
      assert.ok(
        body.errors.some((e: { field: string }) => e.field === c.field),
        res.body,
      )
    }
  const array = await post(ta.app, SEND, [1], { 'accept-language': 'en' })
  assert.equal(array.json().detail, 'The request body must be a JSON object.')
  // An enum field's sentence lists the values.
  assert.match(
    (await post(ta.app, SEND, { phone: '+998901234567', language: 'fr' }, { 'accept-language': 'en' })).json()
      .detail,
    /^The language must be uz, ru or en\.$/,
  )
})

for (const backend of BACKENDS.filter((b) => b.name !== 'redis'))
  test(`full_name with a control character is 422 VALIDATION_ERROR on ${backend.name}`, {
    skip: backend.skip,
  }, async (t) => {
    const ta = await buildTestApp(t, { env: await backend.env(t) })
    const { access_token } = await signIn(ta)
    const auth = { authorization: `Bearer ${access_token}`, 'accept-language': 'en' }
    for (const name of ['Aziz\u0000', 'A\u0007B', 'Aziz\u009b', 'x\u007f']) {
      const res = await ta.app.inject({
        method: 'PATCH',
        url: '/api/v1/users/me',
        payload: { full_name: name },
        headers: auth,
      })
      assert.equal(res.statusCode, 422, `${JSON.stringify(name)}: ${res.body}`)
      assert.equal(res.json().code, 'VALIDATION_ERROR')
      assert.equal(
        res.json().detail,
        'The name must be 1 to 100 characters without control characters (or null).',
      )
    }
    const ok = await ta.app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      payload: { full_name: "Aziz O'g'li Каримов" },
      headers: auth,
    })
    assert.equal(ok.statusCode, 200, ok.body)
    assert.equal(ok.json().full_name, "Aziz O'g'li Каримов")
  })
