// hookpost monitoring page: plain JS module, no framework. The API token is typed in, kept in
// sessionStorage (gone when the tab closes), sent only as `Authorization: Token ...`, never put in a
// URL. Every value from the API is inserted as text (textContent, SVG <title> text), never as HTML,
// never as a link, never as a style: the page's Content-Security-Policy forbids inline script and style.
// The view (project, filters, open delivery) lives in the address's fragment, so it can be shared.

const TOKEN_KEY = 'hookpost.token';
const PROJECT_KEY = 'hookpost.project';
const REFRESH_MS = 2000;
/** Figures are aggregated from the log on each call: at most every 5 s, and only after new activity, else every 30 s. */
const STATS_EVERY_MS = 30_000;
const STATS_AFTER_ACTIVITY_MS = 5_000;
const PAGE = 25;
const SVG_NS = 'http://www.w3.org/2000/svg';
const PROJECT_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;

const $ = (id) => document.getElementById(id);
const state = {
  project: '',
  /** The token's projects, or null for every project. */
  scope: null,
  webhooks: [],
  webhookKey: '',
  stats: new Map(),
  statsAt: 0,
  /** Newest delivery activity seen when the figures were last loaded. */
  statsActivity: '',
  /** Cursor after the oldest delivery shown; `expanded` once older pages were loaded. */
  cursor: null,
  expanded: false,
  selected: null,
  requestShownFor: null,
  tests: new Map(),
  timer: undefined,
  refreshes: 0,
};

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function setStatus(text, isError = false) {
  const node = $('status');
  node.textContent = text;
  node.classList.toggle('error', isError);
}

/** Calls the API (`path` absolute, or relative to the project with `project: true`). */
async function call(method, path, body) {
  const headers = { authorization: `Token ${token()}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
  });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    // Both surfaces' error shapes: {"error": "..."} and {"data": null, "error": {"message": "..."}}.
    const message = typeof data?.error === 'string' ? data.error : (data?.error?.message ?? `HTTP ${res.status}`);
    const err = new Error(message);
    err.status = res.status;
    throw err;
  }
  return data;
}

const projectPath = (path) => `/v2.1/projects/${encodeURIComponent(state.project)}${path}`;
const api = (method, path, body) => call(method, projectPath(path), body);

// ---- small DOM helpers (text only) ----

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function button(text, onClick, className) {
  const b = el('button', text, className);
  b.type = 'button';
  b.addEventListener('click', (e) => {
    e.stopPropagation();
    onClick(b);
  });
  return b;
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const cell of cells) {
    const td = document.createElement('td');
    if (cell instanceof Node) td.append(cell);
    else td.textContent = cell === null || cell === undefined || cell === '' ? '—' : String(cell);
    tr.append(td);
  }
  return tr;
}

function fill(tbody, rows, emptyText, columns) {
  tbody.replaceChildren(...rows);
  if (rows.length === 0) {
    const td = el('td', emptyText, 'empty');
    td.colSpan = columns;
    const tr = document.createElement('tr');
    tr.append(td);
    tbody.append(tr);
  }
}

function block(...children) {
  const div = document.createElement('div');
  for (const c of children) if (c !== null && c !== undefined) div.append(c instanceof Node ? c : el('span', c));
  return div;
}

function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return `${d.toLocaleDateString()} ${d.toLocaleTimeString()}`;
}

const ms = (v) => (v === null || v === undefined ? '—' : v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`);
const percent = (r) => (r === null || r === undefined ? '—' : `${Math.round(r * 1000) / 10} %`);
const badge = (text, kind) => el('span', text, `outcome ${kind}-${String(text).replace(/[^a-z]/g, '')}`);

// ---- the view in the address (#project=…&webhook=…&event=…&outcome=…&from=…&to=…&request=…&delivery=…) ----

const VIEW_KEYS = ['project', 'webhook', 'event', 'outcome', 'from', 'to', 'request', 'delivery'];

function readView() {
  const params = new URLSearchParams(location.hash.slice(1));
  const view = {};
  for (const key of VIEW_KEYS) {
    const value = params.get(key);
    if (value) view[key] = value;
  }
  return view;
}

function writeView() {
  const params = new URLSearchParams();
  const put = (key, value) => value && params.set(key, value);
  put('project', state.project);
  put('webhook', selectValue($('f-webhook')));
  put('event', $('f-event').value);
  put('outcome', $('f-outcome').value);
  put('from', isoOfInput($('f-from').value));
  put('to', isoOfInput($('f-to').value));
  put('request', $('f-request').value.trim());
  put('delivery', state.selected);
  const hash = `#${params}`;
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

/** `datetime-local` value (local time) → ISO-8601 UTC, or '' when empty or invalid. */
function isoOfInput(value) {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/** ISO-8601 → `datetime-local` value (local time, seconds). */
function inputOfIso(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A select's value, or the value a link asked for while its options are still loading. */
const selectValue = (select) => select.value || select.dataset.wanted || '';

function setSelect(select, value) {
  select.value = value ?? '';
  // A value the list does not have (yet) is kept as the wanted one until the options arrive.
  select.dataset.wanted = value ?? '';
}

/** Puts the filters of `view` into the form. */
function applyView(view) {
  setSelect($('f-webhook'), view.webhook);
  setSelect($('f-event'), view.event);
  setSelect($('f-outcome'), view.outcome);
  $('f-from').value = view.from ? inputOfIso(view.from) : '';
  $('f-to').value = view.to ? inputOfIso(view.to) : '';
  $('f-request').value = view.request ?? '';
  state.selected = view.delivery && /^[0-9a-f-]{36}$/.test(view.delivery) ? view.delivery : null;
}

// ---- webhooks, their health and figures ----

function scopeText(w) {
  if (w.scope === 'project') return 'project-wide (every deployment and pipeline)';
  return `${w.object_type} ${w.object_name}${w.version ? ` · version ${w.version}` : ''}`;
}

/** A small chart of a window's buckets: success share on top, p99 (light) and p50 (dark) below. */
function chart(window) {
  const width = 168;
  const strip = 22;
  const gap = 4;
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${strip * 2 + gap}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(strip * 2 + gap));
  svg.setAttribute('role', 'img');
  svg.classList.add('chart');
  const rect = (x, y, w, h, className, title) => {
    const r = document.createElementNS(SVG_NS, 'rect');
    r.setAttribute('x', x.toFixed(1));
    r.setAttribute('y', y.toFixed(1));
    r.setAttribute('width', Math.max(0, w).toFixed(1));
    r.setAttribute('height', Math.max(0, h).toFixed(1));
    r.setAttribute('class', className);
    if (title) {
      const t = document.createElementNS(SVG_NS, 'title');
      t.textContent = title;
      r.append(t);
    }
    svg.append(r);
  };
  const buckets = window.buckets;
  const slot = width / buckets.length;
  const maxP99 = Math.max(1, ...buckets.map((b) => b.p99_ms ?? 0));
  buckets.forEach((b, i) => {
    const x = i * slot + 0.5;
    const w = slot - 1;
    const start = new Date(b.start);
    const label = `${start.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}: ${b.attempts} attempt(s)` +
      (b.attempts ? `, ${percent(b.success_rate)} delivered, p50 ${ms(b.p50_ms)}, p99 ${ms(b.p99_ms)}` : '');
    if (b.attempts === 0) {
      rect(x, strip - 1, w, 1, 'none', label);
      rect(x, strip * 2 + gap - 1, w, 1, 'none', label);
      return;
    }
    const okHeight = strip * b.success_rate;
    rect(x, 0, w, strip - okHeight, 'bad', label);
    rect(x, strip - okHeight, w, okHeight, 'ok', label);
    const p99 = Math.max(1, (strip * (b.p99_ms ?? 0)) / maxP99);
    const p50 = Math.max(1, (strip * (b.p50_ms ?? 0)) / maxP99);
    rect(x, strip * 2 + gap - p99, w, p99, 'p99', label);
    rect(x, strip * 2 + gap - p50, w, p50, 'p50', label);
  });
  const title = document.createElementNS(SVG_NS, 'title');
  title.textContent = `${window.window}: ${window.attempts} attempts`;
  svg.prepend(title);
  return svg;
}

function statsCell(webhookId, name) {
  const s = state.stats.get(webhookId);
  const w = s?.windows.find((x) => x.window === name);
  if (!w) return el('span', '…', 'hint');
  const summary =
    w.attempts === 0
      ? 'no attempts'
      : `${percent(w.success_rate)} of ${w.attempts} · p50 ${ms(w.p50_ms)} · p99 ${ms(w.p99_ms)}`;
  const cell = block(chart(w), el('div', summary, 'figures'));
  cell.className = 'stats';
  cell.dataset.window = name;
  return cell;
}

function testCell(w) {
  const cell = document.createElement('div');
  if (!w.readable) {
    cell.append(el('span', 'cannot be tested: unreadable', 'hint'));
    return cell;
  }
  cell.append(button('Send test', () => void sendTest(w), 'send-test'));
  const results = state.tests.get(w.webhook_id) ?? [];
  const list = el('ul', undefined, 'tests');
  for (const t of results) {
    const item = el('li');
    item.dataset.status = t.status;
    item.append(badge(t.status, 'test'), el('span', ` ${t.event}`));
    if (t.error) item.append(el('span', ` — ${t.error}`));
    list.append(item);
  }
  if (results.length) cell.append(list);
  return cell;
}

function renderWebhooks() {
  const rows = state.webhooks.map((w) => {
    const h = w.health;
    const name = block(el('strong', w.name), el('div', scopeText(w), 'hint'));
    if (!w.enabled) name.append(el('div', 'disabled', 'tag'));
    if (!w.readable) {
      name.append(el('div', 'unreadable', 'tag bad-tag'));
      name.append(el('div', w.problem ?? 'its protected values cannot be decrypted', 'problem'));
    }
    const url = el('div', w.url, 'url clamped');
    url.title = w.url;
    const target = block(url, el('div', w.events.join(', '), 'hint'));
    const ratio = h.success_ratio === null ? 'no attempts yet' : `${percent(h.success_ratio)} of the last ${h.recent_attempts}`;
    const failure = h.last_failure_at ? el('div', `last failure ${when(h.last_failure_at)}: ${h.last_failure_message ?? ''}`, 'hint') : null;
    const health = block(badge(h.circuit, 'circuit'), el('div', ratio), failure);
    const tr = row([name, target, health, statsCell(w.webhook_id, '1h'), statsCell(w.webhook_id, '24h'), testCell(w)]);
    tr.dataset.webhook = w.name;
    tr.dataset.webhookId = w.webhook_id;
    if (!w.readable) tr.classList.add('unreadable');
    return tr;
  });
  fill($('webhooks').tBodies[0], rows, 'No webhooks in this project yet.', 6);
}

function renderWebhookOptions() {
  const key = state.webhooks.map((w) => `${w.webhook_id}\n${w.name}`).join('\n');
  if (key === state.webhookKey) return;
  state.webhookKey = key;
  const select = $('f-webhook');
  const wanted = select.dataset.wanted || select.value;
  const options = state.webhooks.map((w) => {
    const o = el('option', w.scope === 'project' ? `${w.name} (project-wide)` : w.name);
    o.value = w.webhook_id;
    return o;
  });
  const any = el('option', 'any');
  any.value = '';
  select.replaceChildren(any, ...options);
  select.value = state.webhooks.some((w) => w.webhook_id === wanted) ? wanted : '';
  select.dataset.wanted = '';
  writeView();
}

async function loadWebhooks() {
  state.webhooks = await api('GET', '/webhooks-overview');
  renderWebhookOptions();
  renderWebhooks();
}

async function loadStats() {
  const newest = [...$('deliveries').tBodies[0].rows].map((r) => r.dataset.activity ?? '').sort().at(-1) ?? '';
  const age = Date.now() - state.statsAt;
  if (age < STATS_EVERY_MS && (newest === state.statsActivity || age < STATS_AFTER_ACTIVITY_MS)) return;
  state.statsActivity = newest;
  const stats = await api('GET', '/webhooks-stats');
  state.stats = new Map(stats.webhooks.map((s) => [s.webhook_id, s]));
  state.statsAt = Date.now();
  renderWebhooks();
}

async function sendTest(w) {
  state.tests.set(w.webhook_id, [{ event: w.events.join(', '), status: 'sending' }]);
  renderWebhooks();
  try {
    // Through the stored webhook (its protected headers and secret), one test per subscribed event.
    const started = await call('POST', `/workspaces/${encodeURIComponent(state.project)}/webhooks/${w.webhook_id}/tests`);
    const tests = started.data.map((t) => ({ id: t.id, event: t.event, status: t.status, error: t.errorMessage }));
    state.tests.set(w.webhook_id, tests);
    renderWebhooks();
    for (let i = 0; i < 240 && tests.some((t) => t.status === 'pending'); i++) {
      await new Promise((r) => setTimeout(r, 500));
      for (const t of tests.filter((x) => x.status === 'pending')) {
        const now = await api('GET', `/webhooks-tests/${t.id}`);
        t.status = now.status === 'completed' ? 'delivered' : now.status;
        t.error = now.error_message;
      }
      renderWebhooks();
    }
  } catch (err) {
    state.tests.set(w.webhook_id, [{ event: w.events.join(', '), status: 'not sent', error: err.message }]);
    renderWebhooks();
  }
}

// ---- deliveries ----

function webhookName(id, fallback) {
  return state.webhooks.find((w) => w.webhook_id === id)?.name ?? fallback ?? id;
}

/** The list query from the filter form; throws on a filter the API would refuse. */
function deliveryQuery(extra) {
  const q = new URLSearchParams();
  const from = isoOfInput($('f-from').value);
  const to = isoOfInput($('f-to').value);
  if (from && to && from > to) throw new Error('the time range ends before it starts');
  if (selectValue($('f-webhook'))) q.set('webhook_id', selectValue($('f-webhook')));
  if ($('f-event').value) q.set('event', $('f-event').value);
  if ($('f-outcome').value) q.set('outcome', $('f-outcome').value);
  if (from) q.set('since', from);
  if (to) q.set('until', to);
  if ($('f-request').value.trim()) q.set('request_id', $('f-request').value.trim());
  for (const [k, v] of Object.entries(extra)) if (v !== null && v !== undefined) q.set(k, String(v));
  return `/deliveries?${q}`;
}

function deliveryRow(d) {
  const detail = d.http_status ? `HTTP ${d.http_status}` : '';
  const error = d.outcome === 'success' ? detail : [detail, d.error_code, d.error_message].filter(Boolean).join(' · ');
  const retry = button('Retry', (b) => void retryDelivery(d.delivery_id, b), 'retry');
  const tr = row([
    when(d.last_activity_at),
    webhookName(d.webhook_id, d.webhook_name),
    d.event,
    d.request_id,
    badge(d.outcome, 'outcome'),
    d.attempt_count,
    error || '—',
    retry,
  ]);
  tr.className = 'clickable';
  tr.dataset.delivery = d.delivery_id;
  tr.dataset.activity = d.last_activity_at;
  if (d.delivery_id === state.selected) tr.classList.add('selected');
  tr.addEventListener('click', () => void select(d.delivery_id));
  return tr;
}

async function retryDelivery(id, b) {
  const out = $('deliveries-result');
  b.disabled = true;
  try {
    await api('POST', `/deliveries/${id}/redeliver`);
    out.textContent = `Delivery ${id} queued again (same delivery id).`;
    b.textContent = 'Queued';
    await refresh();
  } catch (err) {
    out.textContent = `Delivery ${id} not sent again: ${err.message}`;
    b.disabled = false;
  }
}

/** Reloads the list; after "Older deliveries" it reloads as deep as the user has gone. */
async function loadDeliveries() {
  const tbody = $('deliveries').tBodies[0];
  if (!state.expanded) {
    const page = await api('GET', deliveryQuery({ limit: PAGE }));
    fill(tbody, page.items.map(deliveryRow), 'No deliveries match.', 8);
    state.cursor = page.next_cursor;
  } else {
    // Everything active since the oldest row shown; the cursor for older pages stays where it was.
    const shown = [...tbody.rows].map((r) => r.dataset.activity).filter(Boolean).sort();
    const since = shown[0];
    const items = [];
    let cursor = null;
    do {
      const page = await api('GET', deliveryQuery({ limit: 500, since, cursor }));
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && items.length < 5000);
    fill(tbody, items.map(deliveryRow), 'No deliveries match.', 8);
  }
  $('more').hidden = state.cursor === null;
}

async function loadOlder() {
  if (!state.cursor) return;
  const page = await api('GET', deliveryQuery({ limit: PAGE, cursor: state.cursor }));
  const tbody = $('deliveries').tBodies[0];
  const shown = new Set([...tbody.rows].map((r) => r.dataset.delivery));
  if (!state.expanded && tbody.rows.length === 1 && !tbody.rows[0].dataset.delivery) tbody.replaceChildren();
  tbody.append(...page.items.filter((d) => !shown.has(d.delivery_id)).map(deliveryRow));
  state.cursor = page.next_cursor;
  state.expanded = true;
  $('more').hidden = state.cursor === null;
}

async function select(id) {
  state.selected = id;
  state.requestShownFor = null;
  $('redeliver-result').textContent = '';
  writeView();
  for (const tr of $('deliveries').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.delivery === id);
  await showDelivery().catch((err) => setStatus(`Could not load the delivery: ${err.message}`, true));
}

async function showDelivery() {
  const id = state.selected;
  if (!id) {
    $('detail-section').hidden = true;
    return;
  }
  let d;
  try {
    d = await api('GET', `/deliveries/${id}`);
  } catch (err) {
    if (err.status !== 404) throw err;
    $('detail-section').hidden = false;
    $('detail-id').textContent = id;
    $('detail-summary').textContent = `Not in the attempt log: ${err.message}`;
    return;
  }
  if (id !== state.selected) return;
  $('detail-section').hidden = false;
  $('detail-id').textContent = d.delivery_id;
  $('detail-summary').textContent =
    `${webhookName(d.webhook_id, d.webhook_name)} · ${d.event} · request ${d.request_id} · ${d.attempt_count} attempt(s), latest ${d.outcome}` +
    (d.dead_letter ? ' · dead letter' : '');
  $('redeliver').disabled = !d.event_kept;
  $('redeliver').textContent = d.dead_letter ? 'Re-drive dead letter' : 'Re-deliver';
  const rows = d.attempts.map((a) => {
    const number = block(el('span', `#${a.attempt}`));
    if (a.redelivery) number.append(el('div', 're-delivery', 'tag'));
    return row([
      number,
      when(a.started_at),
      ms(a.duration_ms),
      badge(a.outcome, 'outcome'),
      a.http_status,
      a.error_code ? el('code', a.error_code) : '—',
      a.error_message,
      when(a.next_attempt_at),
      a.response_excerpt === null ? '—' : el('pre', a.response_excerpt, 'excerpt'),
    ]);
  });
  fill($('attempts').tBodies[0], rows, 'No attempts.', 9);
  if (state.requestShownFor !== id) await showRequest(id);
}

async function showRequest(id) {
  let r;
  try {
    r = await api('GET', `/deliveries/${id}/request`);
  } catch (err) {
    $('request-target').textContent = `Request not available: ${err.message}`;
    $('request-note').textContent = '';
    fill($('request-headers').tBodies[0], [], 'No headers.', 2);
    $('request-body').textContent = '';
    return;
  }
  if (id !== state.selected) return;
  state.requestShownFor = id;
  $('request-target').replaceChildren(el('code', r.method), el('span', ' '), el('code', r.url, 'url'));
  $('request-note').textContent =
    "Rebuilt from the webhook's settings now and the event kept with the delivery." +
    (r.body_exact ? '' : ' The kept event lacks its result (over 4 KiB): the payload shows result_truncated where the sent one had the result.');
  const rows = r.headers.map((h) => {
    let value;
    if (h.source === 'protected') value = el('span', '•••••• (protected)', 'masked');
    else if (h.value === null) value = el('span', 'set on each attempt', 'hint');
    else value = el('code', h.value);
    const tr = row([el('code', h.name), value]);
    tr.dataset.header = h.name;
    return tr;
  });
  fill($('request-headers').tBodies[0], rows, 'No headers.', 2);
  let body = r.body ?? 'The event is no longer kept.';
  try {
    if (r.body !== null) body = JSON.stringify(JSON.parse(r.body), null, 2);
  } catch {
    // shown as sent
  }
  $('request-body').textContent = body;
}

// ---- dead letters ----

async function loadDeadLetters() {
  const letters = await api('GET', '/dead-letters?limit=50');
  const rows = letters.map((l) => {
    const redrive = button('Re-drive', (b) => void redriveOne(l.delivery_id, b), 'redrive');
    const tr = row([when(l.failed_at), webhookName(l.webhook_id), l.event, l.request_id, l.attempts, [l.error_code, l.error_message].filter(Boolean).join(' · '), redrive]);
    tr.className = 'clickable';
    tr.dataset.delivery = l.delivery_id;
    tr.addEventListener('click', () => void select(l.delivery_id));
    return tr;
  });
  fill($('dead-letters').tBodies[0], rows, 'No dead letters.', 7);
  $('redrive-all').disabled = letters.length === 0;
}

async function redriveOne(id, b) {
  const out = $('redrive-result');
  b.disabled = true;
  try {
    await api('POST', `/dead-letters/${id}/redrive`);
    out.textContent = `Dead letter ${id} re-driven: queued with the same delivery id.`;
    await refresh();
  } catch (err) {
    out.textContent = `Dead letter ${id} not re-driven: ${err.message}`;
    b.disabled = false;
  }
}

// ---- refresh, connect ----

async function refresh() {
  try {
    await loadWebhooks();
    await Promise.all([loadDeliveries(), loadDeadLetters(), state.selected ? showDelivery() : null]);
    await loadStats();
    state.refreshes += 1;
    document.body.dataset.refreshes = String(state.refreshes);
    setStatus(`Project ${state.project} · updated ${new Date().toLocaleTimeString()}`);
  } catch (err) {
    if (err.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin();
      setStatus(`The API refused the token: ${err.message}`, true);
      return;
    }
    setStatus(`Could not load: ${err.message}`, true);
  }
}

function schedule() {
  clearTimeout(state.timer);
  if ($('auto').checked && token() && !$('app').hidden) {
    state.timer = setTimeout(async () => {
      await refresh();
      schedule();
    }, REFRESH_MS);
  }
}

function showLogin() {
  $('app').hidden = true;
  $('logout').hidden = true;
  $('token').value = '';
  $('token').placeholder = 'Token from HOOKPOST_API_TOKENS';
  clearTimeout(state.timer);
}

/** Shows the project choice the token allows: any name, or a list of its projects. */
function showScope() {
  const choice = $('project-choice');
  const input = $('project');
  const note = $('scope-note');
  if (state.scope === null) {
    choice.hidden = true;
    input.hidden = false;
    input.value = state.project;
    note.hidden = true;
    return;
  }
  const options = state.scope.map((p) => el('option', p));
  choice.replaceChildren(...options);
  choice.value = state.project;
  choice.hidden = false;
  input.hidden = true;
  note.hidden = false;
  note.textContent =
    state.scope.length === 1 ? `This token shows the project ${state.scope[0]} only.` : `This token shows the projects ${state.scope.join(', ')} only.`;
}

function resetProjectView() {
  state.cursor = null;
  state.expanded = false;
  state.stats = new Map();
  state.statsAt = 0;
  state.statsActivity = '';
  state.tests = new Map();
  state.webhookKey = '';
  state.requestShownFor = null;
}

/**
 * Connects to `wantedProject` (or the token's first project when it may not touch that one). The
 * webhook filter and the open delivery belong to a project: they are dropped when the user switches
 * project, kept when a link names the project (`fromLink`) and the token may open it.
 */
async function connect(wantedProject, fromLink = false) {
  let scope;
  try {
    scope = (await call('GET', '/v2.1/token-scope')).projects;
  } catch (err) {
    if (err.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin();
      setStatus(`The API refused the token: ${err.message}`, true);
      return;
    }
    setStatus(`Could not connect: ${err.message}`, true);
    return;
  }
  state.scope = scope;
  let project = wantedProject;
  const redirected = scope !== null && !scope.includes(project);
  if (redirected) project = scope[0] ?? '';
  if (!PROJECT_RE.test(project)) {
    setStatus(`"${project}" is not a project name (a-z, 0-9 and -, up to 64 characters).`, true);
    return;
  }
  if (project !== state.project) {
    resetProjectView();
    if (redirected || (state.project && !fromLink)) {
      setSelect($('f-webhook'), '');
      state.selected = null;
    }
  }
  state.project = project;
  sessionStorage.setItem(PROJECT_KEY, project);
  showScope();
  writeView();
  $('app').hidden = false;
  $('logout').hidden = false;
  $('token').value = '';
  $('token').placeholder = 'token kept for this tab';
  $('connect').textContent = 'Switch';
  $('detail-section').hidden = !state.selected;
  await refresh();
  schedule();
}

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  const typed = $('token').value.trim();
  if (typed) sessionStorage.setItem(TOKEN_KEY, typed);
  if (!token()) {
    setStatus('Type an API token first.', true);
    return;
  }
  const project = (state.scope === null ? $('project').value : $('project-choice').value).trim();
  void connect(project);
});
$('project-choice').addEventListener('change', () => void connect($('project-choice').value));
$('logout').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  state.scope = null;
  showScope();
  showLogin();
  $('connect').textContent = 'Connect';
  setStatus('Token forgotten.');
});
$('auto').addEventListener('change', schedule);

function filtersChanged() {
  state.expanded = false;
  state.cursor = null;
  for (const id of ['f-webhook', 'f-event', 'f-outcome']) $(id).dataset.wanted = '';
  writeView();
  loadDeliveries().catch((err) => setStatus(`Could not load: ${err.message}`, true));
}
$('filters').addEventListener('submit', (e) => {
  e.preventDefault();
  filtersChanged();
});
for (const id of ['f-webhook', 'f-event', 'f-outcome']) $(id).addEventListener('change', filtersChanged);
$('clear-filters').addEventListener('click', () => {
  applyView({ delivery: state.selected });
  filtersChanged();
});
$('more').addEventListener('click', () => void loadOlder().catch((err) => setStatus(err.message, true)));
$('redeliver').addEventListener('click', async () => {
  const id = state.selected;
  const out = $('redeliver-result');
  try {
    await api('POST', `/deliveries/${id}/redeliver`);
    out.textContent = 'Queued: the delivery is sent again with the same delivery id.';
    await refresh();
  } catch (err) {
    out.textContent = `Not re-delivered: ${err.message}`;
  }
});
$('redrive-all').addEventListener('click', async () => {
  const out = $('redrive-result');
  try {
    const r = await api('POST', '/dead-letters/redrive', {});
    out.textContent = `Queued ${r.queued} dead letter(s)${r.remaining ? `, ${r.remaining} left` : ''}.`;
    await refresh();
  } catch (err) {
    out.textContent = `Not re-driven: ${err.message}`;
  }
});
// A link pasted into this tab: take its view.
window.addEventListener('hashchange', () => {
  const view = readView();
  applyView(view);
  state.expanded = false;
  state.requestShownFor = null;
  if (token() && view.project && view.project !== state.project) void connect(view.project, true);
  else if (token() && state.project) void refresh();
});

const initial = readView();
applyView(initial);
const startProject = initial.project ?? sessionStorage.getItem(PROJECT_KEY) ?? 'demo';
$('project').value = startProject;
if (token()) void connect(startProject, true);
else setStatus('Type the project and an API token (local mode: hookpost-local-dev-token).');
