import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { test } from 'node:test'

const ROOT = resolve(import.meta.dirname, '../..')
const UNIT = join(ROOT, 'deploy/royal-taxi.service')
const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p))

test('deploy/royal-taxi.service passes systemd-analyze verify without a warning', {
  skip: analyze ? false : 'systemd-analyze is not installed (it comes with systemd)',
}, (t) => {
  let unit = readFileSync(UNIT, 'utf8')
  // verify checks that ExecStart's program exists: where Node is elsewhere on this machine, point it there.
  if (!existsSync('/usr/bin/node')) unit = unit.replace('/usr/bin/node', process.execPath)
  const dir = mkdtempSync(join(tmpdir(), 'royal-taxi-unit-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'royal-taxi.service')
  writeFileSync(path, unit)
  const run = spawnSync(analyze as string, ['verify', path], { encoding: 'utf8', cwd: dir })
  assert.equal(run.status, 0, run.stderr)
  // Unknown or misspelt keys are only warnings: none is allowed either.
  assert.equal(run.stderr.trim(), '')
})

test('the unit runs the built server with the documented settings file', () => {
  const unit = readFileSync(UNIT, 'utf8')
  assert.match(unit, /^ExecStart=\/usr\/bin\/node .*\/opt\/royal-taxi\/dist\/server\.js$/m)
  assert.match(unit, /^EnvironmentFile=\/etc\/royal-taxi\/royal-taxi\.env$/m)
  assert.match(unit, /^User=royal-taxi$/m)
})
