// Summarises a .cpuprofile (from `npm run bench -- --profile`): where the time goes, by function (self time)
// and by package. Usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [top] [last-seconds]
// With last-seconds, only the samples of the profile's last seconds count: the measured phase, without the
// start-up and the codes prepared before it (the process stops right after it).
// The measured phase alternates with the ceiling's and the other build's slices, during which the service
// waits: its "(idle)" share includes them, and the other shares compare with each other, not with the whole.
import { readFileSync } from 'node:fs'

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: Node[]
  samples: number[]
  timeDeltas: number[]
}

const [file, topArg, lastArg] = process.argv.slice(2)
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top] [last-seconds]')
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const top = Number(topArg ?? 30)
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map<number, number>()
const span = profile.timeDeltas.reduce((a, b) => a + b, 0)
const from = lastArg ? span - Number(lastArg) * 1e6 : 0
let at = 0
for (const [i, id] of profile.samples.entries()) {
  const delta = profile.timeDeltas[i] ?? 0
  at += delta
  if (at >= from) self.set(id, (self.get(id) ?? 0) + delta)
}
const total = [...self.values()].reduce((a, b) => a + b, 0)

function where(url: string): string {
  if (url.includes('/src/')) return `app ${url.slice(url.indexOf('/src/') + 1)}`
  if (!url) return '(native/V8)'
  const nm = url.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/')
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] as string)
  }
  if (url.startsWith('node:')) return url
  const dist = url.indexOf('/dist/')
  return dist >= 0 ? `app ${url.slice(dist + 1)}` : url
}

const fns = new Map<string, number>()
const pkgs = new Map<string, number>()
for (const [id, t] of self) {
  const n = byId.get(id) as Node
  const key = `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`
  fns.set(key, (fns.get(key) ?? 0) + t)
  const pkg = where(n.callFrame.url)
  pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + t)
}
const pct = (t: number) => `${((t / total) * 100).toFixed(1).padStart(5)}%`
console.log(`total sampled ${(total / 1e6).toFixed(1)} s\n\nby package (self time):`)
for (const [k, t] of [...pkgs].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)}  ${k}`)
console.log('\nby function (self time):')
for (const [k, t] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)}  ${k}`)

// Inclusive time of the service's own functions: what each step of a request costs, callees included.
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const inclusive = new Map<string, number>()
for (const [id, t] of self) {
  const seen = new Set<string>()
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur) as Node
    const w = where(n.callFrame.url)
    if (!w.startsWith('app ')) continue
    const key = `${n.callFrame.functionName || '(anonymous)'} ${w}:${n.callFrame.lineNumber + 1}`
    if (seen.has(key)) continue
    seen.add(key)
    inclusive.set(key, (inclusive.get(key) ?? 0) + t)
  }
}
console.log('\nthe service’s functions (inclusive time):')
for (const [k, t] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)}  ${k}`)
