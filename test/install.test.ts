import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { test } from 'node:test'

// better-sqlite3's install script is `prebuild-install || node-gyp rebuild`: prebuild-install downloads a
// prebuilt binary unless told to build from source. The project's .prebuild-installrc tells it, whatever npm
// passes on (npm 11 warns that it will stop passing unknown settings such as an .npmrc's build-from-source).
test('installing better-sqlite3 downloads nothing: prebuild-install reads buildFromSource from the project', () => {
  const require = createRequire(import.meta.url)
  const packageDir = dirname(require.resolve('better-sqlite3/package.json'))
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^npm_config_/i.test(name) && !/^prebuild-install_/i.test(name),
    ),
  )
  // The install script's own view: its working directory is the package's, its settings prebuild-install's rc.
  const child = spawnSync(
    process.execPath,
    [
      '-e',
      "process.stdout.write(JSON.stringify(require('prebuild-install/rc')(require('./package.json')).buildFromSource))",
    ],
    { cwd: packageDir, env, encoding: 'utf8' },
  )
  assert.equal(child.status, 0, child.stderr)
  assert.equal(child.stdout, 'true')
})
