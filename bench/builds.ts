// The builds a benchmark compares: a git revision, compiled in a directory of its own outside the checkout,
// or the work tree itself, compiled in place as `npm run build` does.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT } from './processes.js'

export interface Build {
  /** What the report calls it: `before` or `after`. */
  label: 'before' | 'after'
  /** What was built: `175f958 (subject)` or `work tree (…)`. */
  source: string
  /** Holds package.json and dist/server.js. */
  root: string
  /** Removes what building it left (nothing for the work tree). */
  remove(): void
}

const git = (...args: string[]) =>
  execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }).trim()

function compile(root: string): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
}

/** The commit `rev` names, checked out with `git archive` into a temporary directory and compiled there. */
export function buildRevision(rev: string, label: Build['label']): Build {
  const commit = git('rev-parse', '--verify', `${rev}^{commit}`)
  const source = git('log', '-1', '--format=%h (%s)', commit)
  const root = mkdtempSync(join(tmpdir(), `royal-taxi-bench-${label}-`))
  try {
    console.log(`building ${label}: ${source} in ${root}`)
    const archive = execFileSync('git', ['-C', ROOT, 'archive', '--format=tar', commit], {
      maxBuffer: 256 * 1024 * 1024,
    })
    execFileSync('tar', ['-x', '-C', root], { input: archive })
    // This checkout's packages: a revision that needs others than these is not comparable offline anyway.
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir')
    compile(root)
  } catch (err) {
    rmSync(root, { recursive: true, force: true })
    throw err
  }
  return { label, source, root, remove: () => rmSync(root, { recursive: true, force: true }) }
}

/** The work tree as it is, uncommitted changes included. */
export function buildWorkTree(label: Build['label']): Build {
  const changed = git('status', '--porcelain', '--untracked-files=no') !== ''
  const source = `work tree (${git('log', '-1', '--format=%h', 'HEAD')}${changed ? ' with uncommitted changes' : ''})`
  console.log(`building ${label}: ${source}`)
  compile(ROOT)
  return { label, source, root: ROOT, remove: () => {} }
}
