// What the report tabs draw with: Chart.js (served from /admin/vendor), its colours, KPI cards and the range
// buttons.
import { $$, el, state } from './core.js'

export const STATUS_COLORS = {
  delivered: '#16a34a',
  sent: '#2563eb',
  queued: '#60a5fa',
  pending: '#94a3b8',
  undelivered: '#d97706',
  failed: '#dc2626',
  unknown: '#7c2d12',
}
export const PALETTE = [
  '#0f766e',
  '#7c3aed',
  '#2563eb',
  '#db2777',
  '#d97706',
  '#0891b2',
  '#65a30d',
  '#475569',
]

let charts = {}

/** One colour per provider on every chart, in the order /info lists them. */
export const providerColor = (name) => {
  const i = state.info?.providers.indexOf(name) ?? -1
  return PALETTE[(i >= 0 ? i : [...name].reduce((a, c) => a + c.charCodeAt(0), 0)) % PALETTE.length]
}

export function chart(id, config) {
  charts[id]?.destroy()
  const base = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    interaction: { mode: 'index', intersect: false },
    plugins: {
      legend: { position: 'bottom', labels: { boxWidth: 12, boxHeight: 12, usePointStyle: true } },
    },
  }
  config.options = { ...base, ...config.options, plugins: { ...base.plugins, ...config.options?.plugins } }
  charts[id] = new window.Chart(document.getElementById(id), config)
}

export function destroyCharts() {
  for (const c of Object.values(charts)) c.destroy()
  charts = {}
}

export const stackedBars = (labels, datasets, extra = {}) => ({
  type: 'bar',
  data: { labels, datasets },
  options: {
    scales: {
      x: { stacked: true, grid: { display: false } },
      y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, grid: { color: '#eef2f7' } },
    },
    ...extra,
  },
})

export function kpi(label, value, sub) {
  return el(
    'div',
    { class: 'card kpi' },
    el('div', { class: 'kpi-label' }, label),
    el('div', { class: 'kpi-value' }, value),
    sub ? el('div', { class: 'kpi-sub' }, sub) : null,
  )
}

export function pressSegment(container, attr, value) {
  for (const b of $$(`${container} button`))
    b.setAttribute('aria-pressed', String(b.dataset[attr] === String(value)))
}
