import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { timeOrderedId } from '../../src/crypto.js'
import type { OtpEvent } from '../../src/stores/stats/index.js'
import { ENGINES } from './engines.js'

const event = (i: number, kind: OtpEvent['kind'] = 'sent'): OtpEvent => ({
  id: timeOrderedId(),
  kind,
  phone: `+99890${String(i).padStart(7, '0')}`,
  country: 'UZ',
  ip: i % 2 ? '198.51.100.1' : null,
  created_at: 1_764_000_000_000 + i,
})

// OTP statistics live in the SQL database (the Redis engine keeps them in SQLite, like the SQLite one).
for (const engine of ENGINES.filter((e) => e.name !== 'redis'))
  describe(engine.name, { skip: engine.skip }, () => {
    test('`add` writes every row as given, however many', async (t) => {
      const { stores, database } = await engine.open(t)
      const events = Array.from({ length: 500 }, (_, i) => event(i, i % 3 ? 'sent' : 'verified'))
      await stores.stats.add(events.slice(0, 1))
      await stores.stats.add(events.slice(1))
      await stores.stats.add([])
      const rows = await database.db.selectFrom('otp_events').selectAll().orderBy('created_at').execute()
      assert.deepEqual(rows, events)
    })

    test('a write that fails writes none of its rows', async (t) => {
      const { stores, database } = await engine.open(t)
      const first = event(1)
      await stores.stats.add([first])
      await assert.rejects(stores.stats.add([event(2), event(3), { ...event(4), id: first.id }]))
      const rows = await database.db.selectFrom('otp_events').select('id').execute()
      assert.deepEqual(
        rows.map((r) => r.id),
        [first.id],
      )
    })
  })
