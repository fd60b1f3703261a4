// The admin console: a page shell with no data of its own. Everything shown comes from the JSON admin API with
// the token the operator typed, which is kept in sessionStorage only (gone when the tab closes).
;(() => {
  const I18N = window.ADMIN_I18N
  const TOKEN_KEY = 'royal-taxi-admin-token'
  const LANG_KEY = 'royal-taxi-admin-lang'
  const LOCALES = { uz: 'uz-Latn-UZ', ru: 'ru-RU', en: 'en-GB' }
  const STATUS_COLORS = {
    delivered: '#16a34a',
    sent: '#2563eb',
    queued: '#60a5fa',
    pending: '#94a3b8',
    undelivered: '#d97706',
    failed: '#dc2626',
  }
  const PALETTE = ['#0f766e', '#7c3aed', '#2563eb', '#db2777', '#d97706', '#0891b2', '#65a30d', '#475569']
  const PAGE_SIZE = 25

  const storedLang = localStorage.getItem(LANG_KEY)
  const state = {
    lang: storedLang && I18N[storedLang] ? storedLang : 'uz',
    token: sessionStorage.getItem(TOKEN_KEY),
    info: null,
    tab: 'logs',
    logs: { cursors: [null], page: 0, filter: {}, next: null, open: new Set() },
    usageDays: 30,
    abuseHours: 24,
    charts: {},
    loaded: {},
  }

  const $ = (sel) => document.querySelector(sel)
  const $$ = (sel) => [...document.querySelectorAll(sel)]

  function t(key, params = {}) {
    const text = I18N[state.lang]?.[key] ?? I18N.en[key] ?? key
    return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''))
  }

  /** Builds an element; children are nodes or text (never parsed as HTML: the data may come from gateways). */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag)
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue
      if (k === 'class') node.className = v
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v)
      else node.setAttribute(k, v === true ? '' : String(v))
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue
      node.append(c instanceof Node ? c : document.createTextNode(String(c)))
    }
    return node
  }

  const locale = () => LOCALES[state.lang]
  const timeZone = () => state.info?.time_zone ?? 'UTC'
  const fmtInt = (n) => new Intl.NumberFormat(locale()).format(n)
  const fmtPct = (r) =>
    r === null || r === undefined
      ? '—'
      : new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(r)
  const fmtMoney = (n, currency) =>
    new Intl.NumberFormat(locale(), { style: 'currency', currency, maximumFractionDigits: 2 }).format(n)
  const fmtTime = (iso) =>
    new Intl.DateTimeFormat(locale(), {
      timeZone: timeZone(),
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).format(new Date(iso))
  const fmtDay = (day) => `${day.slice(8, 10)}.${day.slice(5, 7)}`
  const fmtWait = (s) => (s >= 120 ? t('minutes', { n: Math.ceil(s / 60) }) : t('seconds', { n: s }))
  /** Today as YYYY-MM-DD in the reports' time zone. */
  const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: timeZone() }).format(new Date())
  const addDays = (day, n) =>
    new Date(Date.parse(`${day}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10)

  class ApiError extends Error {
    constructor(message, status, code) {
      super(message)
      this.status = status
      this.code = code
    }
  }

  async function api(path, { token = state.token, method = 'GET' } = {}) {
    let res
    try {
      res = await fetch(`/api/v1/admin${path}`, {
        method,
        cache: 'no-store',
        headers: { authorization: `Bearer ${token}`, 'accept-language': state.lang },
      })
    } catch {
      throw new ApiError(t('networkError'), 0, 'NETWORK')
    }
    const body = res.status === 204 ? null : await res.json().catch(() => null)
    if (!res.ok) throw new ApiError(body?.detail ?? res.statusText, res.status, body?.code)
    return body
  }

  /** Runs a loader for the current view; a 401 ends the session, other errors show in the banner. */
  async function guarded(load) {
    const banner = $('#app-error')
    try {
      await load()
      banner.hidden = true
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return signOut(t('signedOut'))
      banner.textContent = err.message
      banner.hidden = false
    }
  }

  // ---- language -------------------------------------------------------------------------------------------
  function applyTexts() {
    document.documentElement.lang = state.lang
    for (const node of $$('[data-i18n]')) node.textContent = t(node.dataset.i18n)
    $('#lang').value = state.lang
    for (const opt of $$('#f-status option[value]:not([value=""])')) opt.textContent = t(`st_${opt.value}`)
  }

  function setLanguage(lang) {
    state.lang = lang
    localStorage.setItem(LANG_KEY, lang)
    applyTexts()
    if (state.info) {
      state.loaded = {}
      showTab(state.tab)
    }
  }

  // ---- sign-in --------------------------------------------------------------------------------------------
  function showSignIn(message) {
    $('#app-view').hidden = true
    $('#signout').hidden = true
    $('#signin-view').hidden = false
    const error = $('#signin-error')
    error.hidden = !message
    error.textContent = message ?? ''
    $('#token').value = ''
    $('#token').focus()
  }

  async function signIn(token) {
    const info = await api('/info', { token })
    state.token = token
    state.info = info
    sessionStorage.setItem(TOKEN_KEY, token)
    fillFilterChoices()
    $('#signin-view').hidden = true
    $('#app-view').hidden = false
    $('#signout').hidden = false
    state.loaded = {}
    showTab(tabFromHash())
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY)
    state.token = null
    state.info = null
    for (const chart of Object.values(state.charts)) chart.destroy()
    state.charts = {}
    showSignIn(message)
  }

  $('#signin-form').addEventListener('submit', async (event) => {
    event.preventDefault()
    const token = $('#token').value.trim()
    if (!token) return
    const button = $('#signin-submit')
    button.disabled = true
    button.textContent = t('signingIn')
    try {
      await signIn(token)
    } catch (err) {
      showSignIn(err.message)
    } finally {
      button.disabled = false
      button.textContent = t('signIn')
    }
  })

  $('#signout').addEventListener('click', () => signOut())
  $('#lang').addEventListener('change', (e) => setLanguage(e.target.value))

  // ---- tabs -----------------------------------------------------------------------------------------------
  const TABS = ['logs', 'usage', 'billing', 'abuse']
  const LOADERS = { logs: loadLogs, usage: loadUsage, billing: loadBilling, abuse: loadAbuse }

  function tabFromHash() {
    const name = location.hash.slice(1)
    return TABS.includes(name) ? name : 'logs'
  }

  function showTab(name) {
    state.tab = name
    for (const tab of $$('.tab')) tab.setAttribute('aria-selected', String(tab.dataset.tab === name))
    for (const n of TABS) $(`#tab-${n}`).hidden = n !== name
    if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`)
    if (!state.loaded[name]) {
      state.loaded[name] = true
      guarded(LOADERS[name])
    }
  }

  for (const tab of $$('.tab')) tab.addEventListener('click', () => showTab(tab.dataset.tab))
  window.addEventListener('hashchange', () => state.info && showTab(tabFromHash()))

  // ---- logs -----------------------------------------------------------------------------------------------
  function fillFilterChoices() {
    const status = $('#f-status')
    status.replaceChildren(el('option', { value: '', 'data-i18n': 'any' }, t('any')))
    for (const s of state.info.statuses) status.append(el('option', { value: s }, t(`st_${s}`)))
    const provider = $('#f-provider')
    provider.replaceChildren(el('option', { value: '', 'data-i18n': 'any' }, t('any')))
    for (const p of state.info.providers) provider.append(el('option', { value: p }, p))
  }

  /** One colour per provider on every chart, in the order /info lists them. */
  const providerColor = (name) => {
    const i = state.info?.providers.indexOf(name) ?? -1
    return PALETTE[(i >= 0 ? i : [...name].reduce((a, c) => a + c.charCodeAt(0), 0)) % PALETTE.length]
  }

  const badge = (status) => el('span', { class: `badge badge-${status}` }, t(`st_${status}`))

  function attemptsTable(message) {
    return el(
      'table',
      { class: 'table' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', {}, t('attempt')),
          el('th', {}, t('provider')),
          el('th', {}, t('status')),
          el('th', {}, t('providerId')),
          el('th', {}, t('error')),
          el('th', { class: 'num' }, t('cost')),
          el('th', {}, t('time')),
          el('th', {}, t('updated')),
        ),
      ),
      el(
        'tbody',
        {},
        message.attempts.map((a) =>
          el(
            'tr',
            {},
            el('td', { class: 'num' }, a.attempt),
            el('td', {}, a.provider),
            el('td', {}, badge(a.status)),
            el('td', { class: 'mono' }, a.provider_message_id ?? '—'),
            el(
              'td',
              {},
              a.error_code
                ? el('span', { class: 'error' }, `${a.error_code}: ${a.error_message ?? ''}`)
                : '—',
            ),
            el('td', { class: 'num' }, costCell(a)),
            el('td', {}, fmtTime(a.created_at)),
            el('td', {}, fmtTime(a.updated_at)),
          ),
        ),
      ),
    )
  }

  function costCell(a) {
    if (a.cost === null || a.cost === undefined) return '—'
    const amount = `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 4 }).format(a.cost)} ${a.currency ?? ''}`
    const notes = [
      a.segments ? t('segmentsN', { n: a.segments }) : null,
      a.price_source === 'estimate' ? t('estimate') : null,
    ].filter(Boolean)
    return [amount, notes.length ? el('span', { class: 'sub' }, notes.join(' · ')) : null]
  }

  function receiptsBlock(message) {
    const receipts = message.attempts.flatMap((a) =>
      (a.receipts ?? []).map((r) => ({ ...r, attempt: a.attempt })),
    )
    if (!message.attempts.some((a) => Array.isArray(a.receipts))) return null
    return el(
      'div',
      { class: 'receipts' },
      el('h3', {}, t('receipts')),
      receipts.length === 0
        ? el('p', { class: 'muted small' }, t('noReceipts'))
        : el(
            'table',
            { class: 'table' },
            el(
              'tbody',
              {},
              receipts.map((r) =>
                el(
                  'tr',
                  {},
                  el('td', { class: 'num' }, `#${r.attempt}`),
                  el('td', {}, r.provider),
                  el('td', {}, badge(r.status)),
                  el('td', { class: 'mono' }, r.provider_status ?? ''),
                  el('td', {}, fmtTime(r.received_at)),
                ),
              ),
            ),
          ),
    )
  }

  function renderLogs(data) {
    const body = $('#logs-table tbody')
    body.replaceChildren()
    for (const m of data.messages) {
      const open = state.logs.open.has(m.request_id)
      const details = el(
        'tr',
        { class: 'details', hidden: !open },
        el('td', { colspan: 6 }, el('h3', {}, t('attempts')), attemptsTable(m), receiptsBlock(m)),
      )
      const row = el(
        'tr',
        {
          class: 'message',
          tabindex: 0,
          'aria-expanded': String(open),
          'data-request-id': m.request_id,
          onclick: () => toggle(),
          onkeydown: (e) => {
            if (e.key !== 'Enter' && e.key !== ' ') return
            e.preventDefault()
            toggle()
          },
        },
        el('td', {}, fmtTime(m.created_at)),
        el('td', { class: 'mono' }, m.phone),
        el('td', {}, m.country, m.operator ? el('span', { class: 'sub' }, m.operator) : null),
        el('td', {}, m.provider),
        el('td', {}, badge(m.status)),
        el('td', { class: 'num' }, m.attempts.length),
      )
      function toggle() {
        const nowOpen = details.hidden
        details.hidden = !nowOpen
        row.setAttribute('aria-expanded', String(nowOpen))
        if (nowOpen) state.logs.open.add(m.request_id)
        else state.logs.open.delete(m.request_id)
      }
      body.append(row, details)
    }
    $('#logs-empty').hidden = data.messages.length > 0
    $('#logs-newer').disabled = state.logs.page === 0
    $('#logs-older').disabled = !data.next_cursor
    $('#logs-page').textContent = t('page', { n: state.logs.page + 1 })
  }

  async function loadLogs() {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) })
    for (const [k, v] of Object.entries(state.logs.filter)) if (v) params.set(k, v)
    const cursor = state.logs.cursors[state.logs.page]
    if (cursor) params.set('cursor', cursor)
    const data = await api(`/logs?${params}`)
    state.logs.next = data.next_cursor
    renderLogs(data)
  }

  $('#logs-filter').addEventListener('submit', (event) => {
    event.preventDefault()
    const form = new FormData(event.target)
    state.logs.filter = Object.fromEntries([...form.entries()].map(([k, v]) => [k, String(v).trim()]))
    state.logs.cursors = [null]
    state.logs.page = 0
    guarded(loadLogs)
  })
  $('#logs-reset').addEventListener('click', () => {
    $('#logs-filter').reset()
    state.logs.filter = {}
    state.logs.cursors = [null]
    state.logs.page = 0
    guarded(loadLogs)
  })
  $('#logs-older').addEventListener('click', () => {
    if (!state.logs.next) return
    state.logs.cursors[state.logs.page + 1] = state.logs.next
    state.logs.page++
    guarded(loadLogs)
  })
  $('#logs-newer').addEventListener('click', () => {
    if (state.logs.page === 0) return
    state.logs.page--
    guarded(loadLogs)
  })

  // ---- charts ---------------------------------------------------------------------------------------------
  function chart(id, config) {
    state.charts[id]?.destroy()
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
    state.charts[id] = new window.Chart(document.getElementById(id), config)
  }

  const stackedBars = (labels, datasets, extra = {}) => ({
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

  function kpi(label, value, sub) {
    return el(
      'div',
      { class: 'card kpi' },
      el('div', { class: 'kpi-label' }, label),
      el('div', { class: 'kpi-value' }, value),
      sub ? el('div', { class: 'kpi-sub' }, sub) : null,
    )
  }

  function pressSegment(container, attr, value) {
    for (const b of $$(`${container} button`))
      b.setAttribute('aria-pressed', String(b.dataset[attr] === String(value)))
  }

  // ---- usage ----------------------------------------------------------------------------------------------
  async function loadUsage() {
    pressSegment('#usage-range', 'days', state.usageDays)
    const to = today()
    const u = await api(`/usage?from=${addDays(to, -(state.usageDays - 1))}&to=${to}`)
    $('#usage-tz').textContent = t('daysIn', { tz: u.time_zone })
    const tot = u.totals
    $('#usage-kpis').replaceChildren(
      kpi(t('messages'), fmtInt(tot.messages), t('inFlight', { n: fmtInt(tot.in_flight) })),
      kpi(
        t('deliveryRate'),
        fmtPct(tot.delivery_rate),
        t('ofMessages', { a: fmtInt(tot.delivered), b: fmtInt(tot.messages) }),
      ),
      kpi(t('codesSent'), fmtInt(tot.codes_sent), `${t('codesVerified')}: ${fmtInt(tot.codes_verified)}`),
      kpi(
        t('verificationRate'),
        fmtPct(tot.verification_rate),
        t('ofCodes', { a: fmtInt(tot.codes_verified), b: fmtInt(tot.codes_sent) }),
      ),
    )
    const labels = u.days.map(fmtDay)
    chart(
      'chart-status',
      stackedBars(
        labels,
        state.info.statuses.map((s) => ({
          label: t(`st_${s}`),
          data: u.attempts_by_status[s] ?? [],
          backgroundColor: STATUS_COLORS[s],
          borderRadius: 3,
        })),
      ),
    )
    chart(
      'chart-provider',
      stackedBars(
        labels,
        Object.entries(u.attempts_by_provider).map(([p, data]) => ({
          label: p,
          data,
          backgroundColor: providerColor(p),
          borderRadius: 3,
        })),
      ),
    )
    const pct = (series) => series.map((r) => (r === null ? null : Math.round(r * 1000) / 10))
    chart('chart-rates', {
      type: 'line',
      data: {
        labels,
        datasets: [
          {
            label: t('deliveryRate'),
            data: pct(u.delivery_rate),
            borderColor: '#16a34a',
            backgroundColor: '#16a34a',
          },
          {
            label: t('verificationRate'),
            data: pct(u.verification_rate),
            borderColor: '#7c3aed',
            backgroundColor: '#7c3aed',
          },
        ].map((d) => ({ ...d, tension: 0.3, spanGaps: true, pointRadius: 3, borderWidth: 2 })),
      },
      options: {
        scales: {
          x: { grid: { display: false } },
          y: { min: 0, max: 100, ticks: { callback: (v) => `${v}%` }, grid: { color: '#eef2f7' } },
        },
      },
    })
  }

  for (const b of $$('#usage-range button'))
    b.addEventListener('click', () => {
      state.usageDays = Number(b.dataset.days)
      guarded(loadUsage)
    })

  // ---- billing --------------------------------------------------------------------------------------------
  async function loadBilling() {
    const to = today()
    const b = await api(`/billing?from=${addDays(to, -29)}&to=${to}`)
    const cur = b.currency
    $('#billing-note').textContent = t('billingNote', { currency: cur, tz: b.time_zone })
    $('#billing-kpis').replaceChildren(
      kpi(t('monthToDate'), fmtMoney(b.month.to_date, cur), b.month.month),
      kpi(
        t('projected'),
        fmtMoney(b.month.projected, cur),
        `${b.month.days_elapsed} / ${b.month.days_in_month}`,
      ),
      kpi(t('today'), fmtMoney(b.today, cur)),
      kpi(
        t('periodTotal'),
        fmtMoney(b.total, cur),
        b.unpriced > 0 ? t('unpriced', { n: fmtInt(b.unpriced) }) : `${b.from} — ${b.to}`,
      ),
    )
    const money = { ticks: { callback: (v) => fmtMoney(v, cur) }, grid: { color: '#eef2f7' } }
    chart(
      'chart-cost-day',
      stackedBars(
        b.days.map(fmtDay),
        Object.entries(b.cost_by_day).map(([p, data]) => ({
          label: p,
          data,
          backgroundColor: providerColor(p),
          borderRadius: 3,
        })),
        {
          scales: {
            x: { stacked: true, grid: { display: false } },
            y: { stacked: true, beginAtZero: true, ...money },
          },
        },
      ),
    )
    const horizontal = (rows, key, color) => ({
      type: 'bar',
      data: {
        labels: rows.map((r) => r[key]),
        datasets: [
          {
            label: cur,
            data: rows.map((r) => r.cost),
            backgroundColor: rows.map((r, i) => color(r[key], i)),
            borderRadius: 4,
          },
        ],
      },
      options: {
        indexAxis: 'y',
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ...money }, y: { grid: { display: false } } },
      },
    })
    chart(
      'chart-cost-country',
      horizontal(b.by_country, 'country', (_, i) => PALETTE[i % PALETTE.length]),
    )
    chart('chart-cost-provider', horizontal(b.by_provider, 'provider', providerColor))
    $('#balances-table tbody').replaceChildren(
      ...b.balances.map((bal) =>
        el(
          'tr',
          {},
          el('td', {}, bal.provider),
          el('td', { class: 'num' }, bal.balance === null ? '—' : fmtBalance(bal.balance, bal.currency)),
          el(
            'td',
            { class: bal.error ? 'error' : 'muted' },
            bal.error
              ? `${t('balanceFailed')}: ${bal.error}`
              : bal.balance === null
                ? t('balanceUnsupported')
                : '',
          ),
        ),
      ),
    )
  }

  function fmtBalance(amount, currency) {
    try {
      return fmtMoney(amount, currency)
    } catch {
      return `${new Intl.NumberFormat(locale()).format(amount)} ${currency ?? ''}`
    }
  }

  // ---- abuse ----------------------------------------------------------------------------------------------
  function fillTable(selector, rows) {
    const table = $(selector)
    table.querySelector('tbody').replaceChildren(...rows)
    const empty = table.closest('.card').querySelector('.empty')
    if (empty) empty.hidden = rows.length > 0
  }

  /** The limit's name in the page's language; a limit added later shows its setting name until translated. */
  const limitName = (name) => (I18N[state.lang][`limit_${name}`] ? t(`limit_${name}`) : name)

  async function loadAbuse() {
    pressSegment('#abuse-range', 'hours', state.abuseHours)
    const a = await api(`/abuse?hours=${state.abuseHours}`)
    fillTable(
      '#blocks-table',
      a.blocks.map((b) =>
        el(
          'tr',
          {},
          el(
            'td',
            {},
            el('span', { class: 'mono' }, `${b.prefix}•••`),
            el('span', { class: 'sub' }, t('subject_prefix')),
          ),
          el(
            'td',
            {},
            t(`reason_${b.reason}`),
            el('span', { class: 'sub' }, `${b.detail} · ${b.created_by}`),
          ),
          el('td', {}, b.expires_at ? fmtTime(b.expires_at) : t('untilRemoved')),
          el(
            'td',
            { class: 'num' },
            el(
              'button',
              {
                class: 'btn btn-danger',
                type: 'button',
                'data-prefix': b.prefix,
                onclick: () =>
                  confirm(t('unblockConfirm', { key: b.prefix })) &&
                  guarded(async () => {
                    await api(`/blocks/${encodeURIComponent(b.prefix)}`, { method: 'DELETE' })
                    await loadAbuse()
                  }),
              },
              t('unblock'),
            ),
          ),
        ),
      ),
    )
    fillTable(
      '#limited-table',
      a.limited.map((l) =>
        el(
          'tr',
          {},
          el(
            'td',
            {},
            el('span', { class: 'mono' }, l.key),
            el('span', { class: 'sub' }, t(`subject_${l.subject}`)),
          ),
          el('td', {}, limitName(l.limit)),
          el('td', { class: 'num' }, `${fmtInt(l.count)} / ${fmtInt(l.max)}`),
          el('td', { class: 'num' }, fmtWait(l.retry_after)),
        ),
      ),
    )
    fillTable(
      '#ips-table',
      a.top_ips.map((r) =>
        el(
          'tr',
          {},
          el('td', { class: 'mono' }, r.ip),
          el('td', { class: 'num' }, fmtInt(r.codes)),
          el('td', { class: 'num' }, fmtInt(r.numbers)),
        ),
      ),
    )
    fillTable(
      '#prefixes-table',
      a.top_prefixes.map((r) =>
        el(
          'tr',
          {},
          el('td', { class: 'mono' }, `${r.prefix}•••`),
          el('td', { class: 'num' }, fmtInt(r.messages)),
          el('td', { class: 'num' }, fmtInt(r.numbers)),
        ),
      ),
    )
  }

  for (const b of $$('#abuse-range button'))
    b.addEventListener('click', () => {
      state.abuseHours = Number(b.dataset.hours)
      guarded(loadAbuse)
    })

  // ---- start ----------------------------------------------------------------------------------------------
  applyTexts()
  if (state.token) {
    signIn(state.token).catch((err) => {
      sessionStorage.removeItem(TOKEN_KEY)
      state.token = null
      showSignIn(err.status === 401 ? t('signedOut') : err.message)
    })
  } else showSignIn()
})()
