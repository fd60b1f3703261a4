import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { migrate, openDatabase } from '../../src/db/index.js'
import { BACKENDS } from '../helpers.js'
import { cli, workspace } from './helpers.js'

/** A workspace on the backend's database, a `royal-taxi` runner for it, and a look at the roster's rows. */
async function roster(t: import('node:test').TestContext, env: Record<string, string>) {
  const ws = workspace(t, env)
  const run = (...args: string[]) => cli(args, { envFile: ws.envFile })
  const rows = async () => {
    const database = openDatabase({
      kind: env.DATABASE_URL ? 'postgres' : 'sqlite',
      ...(env.DATABASE_URL ? { url: env.DATABASE_URL } : { path: join(ws.dir, 'test.db') }),
    } as Parameters<typeof openDatabase>[0])
    try {
      await migrate(database)
      return await database.db
        .selectFrom('drivers')
        .select(['phone', 'name', 'added_by'])
        .orderBy('phone')
        .execute()
    } finally {
      await database.close()
    }
  }
  const file = (name: string, text: string) => {
    const path = join(ws.dir, name)
    writeFileSync(path, text)
    return path
  }
  return { run, rows, file, dir: ws.dir }
}

for (const backend of BACKENDS.filter((b) => b.name !== 'redis'))
  describe(backend.name, { skip: backend.skip }, () => {
    test('drivers add, list and remove: numbers normalised, one line each, exit 1 on a mistake', async (t) => {
      const { run, rows } = await roster(t, await backend.env(t))
      assert.deepEqual(await run('drivers', 'list'), { code: 0, stdout: 'The roster is empty.', stderr: '' })
      assert.deepEqual(await run('drivers', 'add', '998 90 123-45-67', '--name', 'Aziz Karimov'), {
        code: 0,
        stdout: '+998901234567 added to the driver roster.',
        stderr: '',
      })
      assert.deepEqual(await run('drivers', 'add', '+998901234567', '--name', 'Other'), {
        code: 0,
        stdout: '+998901234567 is already on the driver roster (left as it was).',
        stderr: '',
      })
      await run('drivers', 'add', '+998931112233')
      const list = await run('drivers', 'list')
      assert.equal(list.code, 0)
      const lines = list.stdout.split('\n')
      assert.match(lines[0] ?? '', /^PHONE\s+NAME\s+ADDED BY\s+ADDED AT$/)
      assert.match(lines[1] ?? '', /^\+998931112233\s+cli\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
      assert.match(lines[2] ?? '', /^\+998901234567\s+Aziz Karimov\s+cli\s+\d{4}-/)
      assert.equal(lines[3], '2 drivers.')
      const found = await run('drivers', 'list', '--search', 'aziz', '--json')
      assert.deepEqual(
        JSON.parse(found.stdout).map((d: { phone: string; name: string }) => [d.phone, d.name]),
        [['+998901234567', 'Aziz Karimov']],
      )
      assert.equal((await run('drivers', 'list', '--search', 'nobody')).stdout, 'No driver matches "nobody".')

      assert.deepEqual(await run('drivers', 'remove', '998901234567'), {
        code: 0,
        stdout: '+998901234567 removed from the driver roster.',
        stderr: '',
      })
      assert.deepEqual(await run('drivers', 'remove', '+998901234567'), {
        code: 1,
        stdout: '',
        stderr: 'royal-taxi: +998901234567 is not on the driver roster',
      })
      assert.deepEqual(await run('drivers', 'add', '+99890'), {
        code: 1,
        stdout: '',
        stderr: 'royal-taxi: not a valid mobile number: "+99890"',
      })
      assert.equal((await run('drivers', 'remove', 'nonsense')).code, 1)
      assert.equal((await run('drivers', 'add', '+998977654321', '--name', 'a\u0007b')).code, 1)
      assert.deepEqual(await rows(), [{ phone: '+998931112233', name: null, added_by: 'cli' }])
    })

    test('drivers remove ends the number’s driver sessions, and only those', async (t) => {
      const env = await backend.env(t)
      const { run, dir } = await roster(t, env)
      await run('drivers', 'add', '+998901234567')
      const database = openDatabase({
        kind: env.DATABASE_URL ? 'postgres' : 'sqlite',
        ...(env.DATABASE_URL ? { url: env.DATABASE_URL } : { path: join(dir, 'test.db') }),
      } as Parameters<typeof openDatabase>[0])
      t.after(() => database.close())
      const now = Date.now()
      const user = await database.db
        .insertInto('users')
        .values({ phone: '+998901234567', full_name: null, created_at: now, updated_at: now })
        .returning('id')
        .executeTakeFirstOrThrow()
      const session = (id: string, app: 'passenger' | 'driver') => ({
        id,
        user_id: user.id,
        family_id: `family-${id}`,
        token_hash: `hash-${id}`,
        created_at: now,
        expires_at: now + 86_400_000,
        app,
      })
      await database.db
        .insertInto('refresh_tokens')
        .values([session('a-driver', 'driver'), session('a-passenger', 'passenger')])
        .execute()
      assert.equal((await run('drivers', 'remove', '+998901234567')).code, 0)
      const rows = await database.db
        .selectFrom('refresh_tokens')
        .select(['id', 'revoked_at'])
        .orderBy('id')
        .execute()
      assert.equal(
        rows.find((r) => r.id === 'a-driver')?.revoked_at !== null,
        true,
        'the driver session ends',
      )
      assert.equal(
        rows.find((r) => r.id === 'a-passenger')?.revoked_at,
        null,
        'the passenger session goes on',
      )
    })

    test('drivers import: a header, semicolons, a BOM, quoted names; numbers already there are not an error', async (t) => {
      const { run, rows, file } = await roster(t, await backend.env(t))
      await run('drivers', 'add', '+998931112233', '--name', 'Kept')
      const csv = file(
        'fleet.csv',
        '\ufeffName;Phone;Car\n"Karimov; Aziz";+998 90 123 45 67;01A123BC\n\nNodira;998977654321;\n;+998931112233;\n',
      )
      const r = await run('drivers', 'import', csv)
      assert.deepEqual(r, {
        code: 0,
        stdout: `Imported ${csv}: 2 drivers added, 1 already on the roster (left as they were).`,
        stderr: '',
      })
      assert.deepEqual(await rows(), [
        { phone: '+998901234567', name: 'Karimov; Aziz', added_by: 'import' },
        { phone: '+998931112233', name: 'Kept', added_by: 'cli' },
        { phone: '+998977654321', name: 'Nodira', added_by: 'import' },
      ])
      // Without a header: phone, then name.
      const plain = file('plain.csv', '+998500001122,Bobur\n+998500001133\n')
      assert.equal((await run('drivers', 'import', plain)).stdout, `Imported ${plain}: 2 drivers added.`)
      assert.equal((await rows()).length, 5)
    })

    test('drivers import: every rejected line is told, with why, and nothing is imported', async (t) => {
      const { run, rows, file } = await roster(t, await backend.env(t))
      const csv = file(
        'bad.csv',
        [
          'phone,name',
          '+998901234567,Aziz',
          '+99890,Short',
          '998 90 123 45 67,Aziz again',
          ',Nobody',
          '+998712345678,A landline',
          '+998931112233,Fine',
        ].join('\n'),
      )
      const r = await run('drivers', 'import', csv)
      assert.equal(r.code, 1)
      assert.equal(r.stdout, '')
      assert.deepEqual(r.stderr.split('\n'), [
        'line 3: "+99890": not a valid mobile number',
        'line 4: "998 90 123 45 67": the same number as line 2 (+998901234567)',
        'line 5: "": no phone number',
        'line 6: "+998712345678": not a valid mobile number',
        `royal-taxi: nothing imported: 4 of 6 lines in ${csv} rejected (fix them and import the file again)`,
      ])
      assert.deepEqual(await rows(), [])
    })

    test('drivers import: a file that cannot be read or parsed imports nothing, in one line', async (t) => {
      const { run, rows, file } = await roster(t, await backend.env(t))
      const cases: [string, RegExp][] = [
        [join('/nonexistent', 'fleet.csv'), /^royal-taxi: cannot read \/nonexistent\/fleet\.csv: ENOENT$/],
        [
          file('open.csv', '+998901234567,"Aziz\n+998931112233,Bobur\n'),
          /Quote Not Closed.*; nothing imported$/,
        ],
        [file('empty.csv', '\n\n'), /empty\.csv holds no numbers; nothing imported$/],
        [
          file('header.csv', 'name,mobile\nAziz,+998901234567\n'),
          /line 1 is a header .* without a phone column/,
        ],
      ]
      for (const [path, expected] of cases) {
        const r = await run('drivers', 'import', path)
        assert.equal(r.code, 1, path)
        assert.match(r.stderr, expected)
        assert.equal(r.stderr.split('\n').length, 1, r.stderr)
      }
      assert.deepEqual(await rows(), [])
    })
  })
