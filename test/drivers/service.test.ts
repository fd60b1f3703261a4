import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { describeRejection, parseRosterFile, RosterFileError } from '../../src/drivers/csv.js'
import { checkEntries } from '../../src/drivers/entries.js'
import { DriverService } from '../../src/drivers/service.js'
import { ENGINES } from '../stores/engines.js'

test('entries are normalised to E.164; invalid numbers, numbers given twice and bad names are each told', () => {
  const { drivers, rejected } = checkEntries([
    { phone: ' +998 (90) 123-45-67 ', name: '  Aziz  ' },
    { phone: '0099893 111 22 33', name: '' },
    { phone: '+998901234567', name: 'again' },
    { phone: 'call me' },
    { phone: '+998977654321', name: 'x'.repeat(101) },
    { phone: '+998500001122', name: 'new\nline' },
    { phone: '+447400123456' },
  ])
  assert.deepEqual(drivers, [
    { phone: '+998901234567', name: 'Aziz' },
    { phone: '+998931112233', name: null },
    { phone: '+447400123456', name: null },
  ])
  assert.deepEqual(rejected, [
    { index: 2, phone: '+998901234567', reason: 'duplicate', sameAs: 0, e164: '+998901234567' },
    { index: 3, phone: 'call me', reason: 'invalid' },
    { index: 4, phone: '+998977654321', reason: 'name' },
    { index: 5, phone: '+998500001122', reason: 'name' },
  ])
})

test('a roster file: header found by its names in any order, or none; commas, semicolons or tabs', () => {
  assert.deepEqual(parseRosterFile('+998901234567,Aziz\r\n\r\n998931112233\n'), {
    entries: [
      { phone: '+998901234567', name: 'Aziz' },
      { phone: '998931112233', name: null },
    ],
    lines: [1, 3],
    header: false,
  })
  const withHeader = parseRosterFile('\ufeffИмя\tТелефон\tАвто\nАзиз\t+998901234567\t01A\n')
  assert.deepEqual(withHeader.entries, [{ phone: '+998901234567', name: 'Азиз' }])
  assert.deepEqual(withHeader.lines, [2])
  assert.equal(withHeader.header, true)
  assert.deepEqual(parseRosterFile('telefon\n+998901234567\n').entries, [
    { phone: '+998901234567', name: null },
  ])
  assert.throws(() => parseRosterFile('ism,mobil\nAziz,+998901234567'), RosterFileError)
  assert.throws(() => parseRosterFile('+998901234567,"Aziz'), /Quote Not Closed/)
  assert.equal(
    describeRejection({ index: 1, phone: '9989', reason: 'duplicate', sameAs: 0, e164: '+9989' }, [2, 7]),
    'line 7: "9989": the same number as line 2 (+9989)',
  )
})

for (const engine of ENGINES.filter((e) => e.name !== 'redis'))
  describe(engine.name, { skip: engine.skip }, () => {
    test('onRemoved runs after a removal only, with the number; its failure reaches the caller', async (t) => {
      const { drivers } = (await engine.open(t)).stores
      const removed: string[] = []
      const service = new DriverService(drivers, {
        onRemoved: async (phone) => {
          assert.equal(await drivers.has(phone), false, 'the number is off the roster first')
          removed.push(phone)
        },
      })
      await service.add([{ phone: '+998901234567' }, { phone: '+998931112233' }], 'admin')
      assert.equal(await service.remove('+998901234567'), true)
      assert.equal(await service.remove('+998901234567'), false)
      assert.equal(await service.remove('+998977654321'), false)
      assert.deepEqual(removed, ['+998901234567'])

      const failing = new DriverService(drivers, {
        onRemoved: async () => {
          throw new Error('sessions unreachable')
        },
      })
      await assert.rejects(failing.remove('+998931112233'), /sessions unreachable/)
      assert.equal(await drivers.has('+998931112233'), false, 'the removal stays done')
    })

    test('add: all or nothing through the service, and `all` walks every page', async (t) => {
      const { drivers } = (await engine.open(t)).stores
      const service = new DriverService(drivers)
      const refused = await service.add([{ phone: '+998901234567' }, { phone: 'nope' }], 'import')
      assert.equal(refused.ok, false)
      assert.equal(await drivers.count(), 0)
      const entries = Array.from({ length: 1203 }, (_, i) => ({
        phone: `+99890${String(i).padStart(7, '0')}`,
      }))
      const outcome = await service.add(entries, 'import')
      assert.ok(outcome.ok)
      assert.equal(outcome.added.length, 1203)
      const all = await service.all()
      assert.equal(all.length, 1203)
      assert.equal(new Set(all.map((d) => d.phone)).size, 1203)
      assert.equal((await service.all('90000119')).length, 10)
    })
  })
