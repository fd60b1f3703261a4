import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { ADMIN_ENV, ADMIN_TOKEN, auth } from '../admin/seed.js'
import { BACKENDS, buildTestApp } from '../helpers.js'

const URL = '/api/v1/admin/drivers'

const request = (
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  payload?: object,
  headers: Record<string, string> = {},
) => app.inject({ method, url, headers: { ...auth, ...headers }, ...(payload ? { payload } : {}) })

test('without ADMIN_TOKEN the roster API is off; without the token it gives nothing away', async (t) => {
  const off = await buildTestApp(t)
  const disabled = await request(off.app, 'GET', URL)
  assert.equal(disabled.statusCode, 404)
  assert.equal(disabled.json().code, 'ADMIN_DISABLED')

  const ta = await buildTestApp(t, { env: ADMIN_ENV })
  await ta.app.drivers.add([{ phone: '+998901234567', name: 'Aziz' }], 'cli')
  const missing = await ta.app.inject({ method: 'GET', url: URL })
  assert.equal(missing.statusCode, 401)
  assert.equal(missing.json().code, 'UNAUTHORIZED')
  for (const [method, payload] of [
    ['GET', undefined],
    ['POST', { drivers: [{ phone: '+998931112233' }] }],
    ['DELETE', undefined],
  ] as const) {
    const url = method === 'DELETE' ? `${URL}/+998901234567` : URL
    const wrong = await request(ta.app, method, url, payload, { authorization: `Bearer ${ADMIN_TOKEN}x` })
    assert.equal(wrong.statusCode, 401, method)
    assert.equal(wrong.json().code, 'ADMIN_TOKEN_INVALID')
    assert.doesNotMatch(wrong.body, /998901234567|Aziz/)
  }
  assert.equal(await ta.app.stores.drivers.has('+998931112233'), false)
  assert.equal(await ta.app.stores.drivers.has('+998901234567'), true)
})

test('the roster routes are in the OpenAPI document, behind the admin token', async (t) => {
  const ta = await buildTestApp(t, { env: ADMIN_ENV })
  const doc = (await ta.app.inject('/openapi.json')).json()
  const ops = [doc.paths[URL]?.get, doc.paths[URL]?.post, doc.paths[`${URL}/{phone}`]?.delete]
  for (const op of ops) {
    assert.ok(op)
    assert.deepEqual(op.tags, ['admin'])
    assert.deepEqual(op.security, [{ adminToken: [] }])
    assert.ok(op.responses['401'] && op.responses['422'])
  }
  assert.ok(ops[1].requestBody.content['application/json'].schema.properties.drivers)
  assert.ok(ops[2].responses['204'])
})

for (const backend of BACKENDS.filter((b) => b.name !== 'redis'))
  describe(backend.name, { skip: backend.skip }, () => {
    test('numbers are added normalised, all at once; those already there are left as they were', async (t) => {
      const ta = await buildTestApp(t, { env: { ...ADMIN_ENV, ...(await backend.env(t)) } })
      const first = await request(ta.app, 'POST', URL, {
        drivers: [
          { phone: '+998 90 123-45-67', name: ' Aziz Karimov ' },
          { phone: '998931112233' },
          { phone: '00998977654321', name: '' },
        ],
      })
      assert.equal(first.statusCode, 200, first.body)
      assert.equal(first.headers['cache-control'], 'no-store')
      const body = first.json()
      assert.deepEqual(
        body.added.map((d: { phone: string; name: string | null; added_by: string }) => [
          d.phone,
          d.name,
          d.added_by,
        ]),
        [
          ['+998901234567', 'Aziz Karimov', 'admin'],
          ['+998931112233', null, 'admin'],
          ['+998977654321', null, 'admin'],
        ],
      )
      assert.deepEqual(body.already_present, [])
      assert.ok(Math.abs(Date.parse(body.added[0].created_at) - Date.now()) < 60_000)

      const again = await request(ta.app, 'POST', URL, {
        drivers: [
          { phone: '+998901234567', name: 'Renamed' },
          { phone: '+998500001122', name: 'Nodira' },
        ],
      })
      assert.equal(again.statusCode, 200)
      assert.deepEqual(again.json().already_present, ['+998901234567'])
      assert.deepEqual(
        again.json().added.map((d: { phone: string }) => d.phone),
        ['+998500001122'],
      )
      assert.equal((await ta.app.stores.drivers.get('+998901234567'))?.name, 'Aziz Karimov')

      const list = await request(ta.app, 'GET', URL)
      assert.equal(list.statusCode, 200)
      assert.equal(list.headers['cache-control'], 'no-store')
      assert.equal(list.json().total, 4)
      assert.equal(list.json().next_cursor, null)
      assert.equal(list.json().drivers[0].phone, '+998500001122', 'newest first')
      assert.deepEqual(Object.keys(list.json().drivers[0]).sort(), [
        'added_by',
        'created_at',
        'name',
        'phone',
      ])
    })

    test('one bad entry and nothing is added: 422 DRIVER_PHONE_INVALID names each, in the asked language', async (t) => {
      const ta = await buildTestApp(t, { env: { ...ADMIN_ENV, ...(await backend.env(t)) } })
      const res = await request(
        ta.app,
        'POST',
        URL,
        {
          drivers: [
            { phone: '+998901234567' },
            { phone: '+99890123' },
            { phone: '998 90 123 45 67' },
            { phone: '+998712345678', name: 'a landline' },
          ],
        },
        { 'accept-language': 'ru' },
      )
      assert.equal(res.statusCode, 422)
      assert.deepEqual(res.json(), {
        code: 'DRIVER_PHONE_INVALID',
        detail:
          'Ничего не добавлено: неверный мобильный номер или номер указан дважды: +99890123, 998 90 123 45 67, +998712345678.',
        rejected: [
          { index: 1, phone: '+99890123', reason: 'invalid' },
          { index: 2, phone: '998 90 123 45 67', reason: 'duplicate', same_as: 0 },
          { index: 3, phone: '+998712345678', reason: 'invalid' },
        ],
      })
      assert.equal(await ta.app.stores.drivers.count(), 0)
    })

    test('removing a number: 204, then 404 DRIVER_NOT_FOUND; a malformed number is 422 INVALID_PHONE', async (t) => {
      const ta = await buildTestApp(t, { env: { ...ADMIN_ENV, ...(await backend.env(t)) } })
      await ta.app.drivers.add([{ phone: '+998901234567' }, { phone: '+998931112233' }], 'import')
      const removed = await request(ta.app, 'DELETE', `${URL}/%2B998901234567`)
      assert.equal(removed.statusCode, 204)
      assert.equal(removed.body, '')
      assert.equal(await ta.app.stores.drivers.has('+998901234567'), false)
      assert.ok(
        ta.logs.messages().includes('🚫 Driver +998901234567 removed from the roster from the admin console'),
      )

      const gone = await request(ta.app, 'DELETE', `${URL}/+998901234567`, undefined, {
        'accept-language': 'en',
      })
      assert.equal(gone.statusCode, 404)
      assert.deepEqual(gone.json(), {
        code: 'DRIVER_NOT_FOUND',
        detail: 'This number is not on the driver roster.',
      })
      // Without the +, as a URL is easily typed.
      assert.equal((await request(ta.app, 'DELETE', `${URL}/998931112233`)).statusCode, 204)
      const bad = await request(ta.app, 'DELETE', `${URL}/12345`)
      assert.equal(bad.statusCode, 422)
      assert.equal(bad.json().code, 'INVALID_PHONE')
      assert.equal(await ta.app.stores.drivers.count(), 0)
    })

    test('the listing pages by cursor and searches numbers (separators ignored) and names', async (t) => {
      const ta = await buildTestApp(t, { env: { ...ADMIN_ENV, ...(await backend.env(t)) } })
      const now = Date.now()
      for (let i = 0; i < 5; i++)
        await ta.app.stores.drivers.add(
          [{ phone: `+99890000000${i}`, name: i % 2 ? `Aziz ${i}` : null }],
          'import',
          now - (5 - i) * 1000,
        )
      const seen: string[] = []
      let cursor: string | null = null
      do {
        const page: { drivers: { phone: string }[]; total: number; next_cursor: string | null } = (
          await request(ta.app, 'GET', `${URL}?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        ).json()
        assert.equal(page.total, 5)
        seen.push(...page.drivers.map((d) => d.phone))
        cursor = page.next_cursor
      } while (cursor)
      assert.deepEqual(seen, [
        '+998900000004',
        '+998900000003',
        '+998900000002',
        '+998900000001',
        '+998900000000',
      ])

      const byName = (await request(ta.app, 'GET', `${URL}?search=aziz`)).json()
      assert.deepEqual(
        [byName.total, byName.drivers.map((d: { name: string }) => d.name)],
        [2, ['Aziz 3', 'Aziz 1']],
      )
      const byNumber = (
        await request(ta.app, 'GET', `${URL}?search=${encodeURIComponent('90 000-0002')}`)
      ).json()
      assert.deepEqual(
        byNumber.drivers.map((d: { phone: string }) => d.phone),
        ['+998900000002'],
      )
      const badCursor = await request(ta.app, 'GET', `${URL}?cursor=bm9wZQ`)
      assert.equal(badCursor.statusCode, 422)
      assert.equal(badCursor.json().code, 'VALIDATION_ERROR')
    })
  })

test('malformed bodies are refused by the schema before anything is written', async (t) => {
  const ta = await buildTestApp(t, { env: ADMIN_ENV })
  const cases: object[] = [
    {},
    { drivers: [] },
    { drivers: [{ phone: '+998901234567', extra: 1 }] },
    { drivers: [{ phone: 998901234567 }] },
    { drivers: [{ phone: '+998901234567', name: 'x'.repeat(101) }] },
    { drivers: [{ phone: '+998901234567', name: 'tab\there' }] },
    { drivers: Array.from({ length: 101 }, (_, i) => ({ phone: `+998900${String(i).padStart(6, '0')}` })) },
  ]
  for (const payload of cases) {
    const res = await request(ta.app, 'POST', URL, payload)
    assert.equal(res.statusCode, 422, JSON.stringify(payload).slice(0, 80))
    assert.equal(res.json().code, 'VALIDATION_ERROR')
  }
  assert.equal(await ta.app.stores.drivers.count(), 0)
})
