// hookpost monitoring page: plain JS module, no framework. The API token is typed in, kept in
// sessionStorage (gone when the tab closes), sent only as `Authorization: Token ...`, never put in a
// URL. Every value from the API is inserted as text (textContent), never as HTML.

const TOKEN_KEY = 'hookpost.token';
const PROJECT_KEY = 'hookpost.project';
const REFRESH_MS = 2000;

const $ = (id) => document.getElementById(id);
const state = { project: '', cursor: null, selected: null, webhooks: [], timer: undefined };

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function setStatus(text, isError = false) {
  const el = $('status');
  el.textContent = text;
  el.classList.toggle('error', isError);
}

async function api(method, path, body) {
  const headers = { authorization: `Token ${token()}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/v2.1/projects/${encodeURIComponent(state.project)}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
  });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error(data?.error ?? `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return data;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const cell of cells) {
    const td = document.createElement('td');
    if (cell instanceof Node) td.append(cell);
    else td.textContent = cell === null || cell === undefined ? '—' : String(cell);
    tr.append(td);
  }
  return tr;
}

function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return `${d.toLocaleDateString()} ${d.toLocaleTimeString()}`;
}

const badge = (text, kind) => el('span', text, `outcome ${kind}-${text}`);

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

async function loadWebhooks() {
  const [webhooks, health] = await Promise.all([api('GET', '/webhooks'), api('GET', '/webhooks-health')]);
  state.webhooks = webhooks;
  const byId = new Map(health.map((h) => [h.webhook_id, h]));
  const rows = webhooks.map((w) => {
    const h = byId.get(w.id);
    const ratio = h?.success_ratio === null || h === undefined ? '—' : `${Math.round(h.success_ratio * 100)} % of ${h.recent_attempts}`;
    const test = el('button', 'Send test');
    test.type = 'button';
    test.dataset.webhook = w.name;
    test.addEventListener('click', () => sendTest(w));
    const failure = h?.last_failure_at ? `${when(h.last_failure_at)} — ${h.last_failure_message ?? ''}` : '—';
    const tr = row([w.enabled ? w.name : `${w.name} (disabled)`, w.event, badge(h?.circuit ?? 'unknown', 'circuit'), ratio, when(h?.last_success_at), failure, test]);
    tr.dataset.webhook = w.name;
    return tr;
  });
  fill($('webhooks').tBodies[0], rows, 'No webhooks in this project yet.', 7);
  const select = $('f-webhook');
  const chosen = select.value;
  select.replaceChildren(el('option', 'any'), ...webhooks.map((w) => el('option', w.name)));
  select.options[0].value = '';
  select.value = webhooks.some((w) => w.name === chosen) ? chosen : '';
}

async function sendTest(w) {
  const out = $('test-result');
  out.textContent = `Sending a test event to ${w.name}…`;
  try {
    // Protected header values are not readable through the API, so the test sends the others only.
    const headers = w.headers.filter((h) => !h.protected).map((h) => ({ key: h.key, value: h.value }));
    const test = await api('POST', '/webhooks-tests', {
      url: w.url,
      object_type: w.object_type,
      object_name: w.object_name,
      event: w.event,
      headers,
      version: w.version,
      timeout: w.timeout,
    });
    for (let i = 0; i < 120; i++) {
      const t = await api('GET', `/webhooks-tests/${test.id}`);
      if (t.status !== 'pending') {
        out.textContent = t.status === 'completed' ? `Test to ${w.name}: delivered.` : `Test to ${w.name}: failed — ${t.error_message}`;
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    out.textContent = `Test to ${w.name}: still pending.`;
  } catch (err) {
    out.textContent = `Test to ${w.name} not sent: ${err.message}`;
  }
}

function deliveryQuery(cursor) {
  const q = new URLSearchParams({ limit: '25' });
  if ($('f-webhook').value) q.set('webhook', $('f-webhook').value);
  if ($('f-outcome').value) q.set('outcome', $('f-outcome').value);
  if ($('f-request').value.trim()) q.set('request_id', $('f-request').value.trim());
  if (cursor) q.set('cursor', cursor);
  return `/deliveries?${q}`;
}

function deliveryRow(d) {
  const detail = d.http_status ? `HTTP ${d.http_status}` : '';
  const error = d.outcome === 'success' ? detail : [detail, d.error_message].filter(Boolean).join(' — ');
  const tr = row([when(d.last_activity_at), d.webhook_name ?? d.webhook_id, d.event, d.request_id, badge(d.outcome, 'outcome'), d.attempt_count, error || '—']);
  tr.className = 'clickable';
  tr.dataset.delivery = d.delivery_id;
  if (d.delivery_id === state.selected) tr.classList.add('selected');
  tr.addEventListener('click', () => showDelivery(d.delivery_id));
  return tr;
}

async function loadDeliveries(append = false) {
  const page = await api('GET', deliveryQuery(append ? state.cursor : null));
  const tbody = $('deliveries').tBodies[0];
  const rows = page.items.map(deliveryRow);
  if (append) tbody.append(...rows);
  else fill(tbody, rows, 'No deliveries yet: publish an event.', 7);
  state.cursor = page.next_cursor;
  $('more').hidden = page.next_cursor === null;
}

async function showDelivery(id) {
  state.selected = id;
  const d = await api('GET', `/deliveries/${id}`);
  $('detail-section').hidden = false;
  $('detail-id').textContent = d.delivery_id;
  $('detail-summary').textContent =
    `${d.webhook_name ?? d.webhook_id} · ${d.event} · request ${d.request_id} · ${d.attempt_count} attempt(s), latest ${d.outcome}` +
    (d.dead_letter ? ' · dead letter' : '');
  $('redeliver').disabled = !d.event_kept;
  $('redeliver').dataset.delivery = d.delivery_id;
  const rows = d.attempts.map((a) =>
    row([
      a.attempt,
      when(a.started_at),
      `${Math.round(a.duration_ms)} ms`,
      badge(a.outcome, 'outcome'),
      a.http_status,
      a.error_message,
      when(a.next_attempt_at),
      a.response_excerpt === null ? '—' : el('pre', a.response_excerpt, 'excerpt'),
    ]),
  );
  fill($('attempts').tBodies[0], rows, 'No attempts.', 8);
  for (const tr of $('deliveries').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.delivery === id);
}

async function loadDeadLetters() {
  const letters = await api('GET', '/dead-letters?limit=50');
  const names = new Map(state.webhooks.map((w) => [w.id, w.name]));
  const rows = letters.map((l) => {
    const tr = row([when(l.failed_at), names.get(l.webhook_id) ?? l.webhook_id, l.event, l.request_id, l.attempts, l.error_message]);
    tr.className = 'clickable';
    tr.addEventListener('click', () => showDelivery(l.delivery_id));
    return tr;
  });
  fill($('dead-letters').tBodies[0], rows, 'No dead letters.', 6);
  $('redrive-all').disabled = letters.length === 0;
}

async function refresh() {
  try {
    await loadWebhooks();
    await Promise.all([loadDeliveries(), loadDeadLetters()]);
    if (state.selected) await showDelivery(state.selected).catch(() => {});
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
  if ($('auto').checked && token()) state.timer = setTimeout(async () => {
    await refresh();
    schedule();
  }, REFRESH_MS);
}

function showLogin() {
  $('app').hidden = true;
  $('logout').hidden = true;
  $('token').value = '';
  clearTimeout(state.timer);
}

async function connect() {
  state.project = sessionStorage.getItem(PROJECT_KEY) ?? 'demo';
  $('project').value = state.project;
  $('app').hidden = false;
  $('logout').hidden = false;
  $('token').value = '';
  $('token').placeholder = 'token kept for this tab';
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
  sessionStorage.setItem(PROJECT_KEY, $('project').value.trim());
  state.selected = null;
  $('detail-section').hidden = true;
  void connect();
});
$('logout').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  showLogin();
  setStatus('Token forgotten.');
});
$('auto').addEventListener('change', schedule);
$('filters').addEventListener('submit', (e) => {
  e.preventDefault();
  void loadDeliveries().catch((err) => setStatus(`Could not load: ${err.message}`, true));
});
$('more').addEventListener('click', () => void loadDeliveries(true).catch((err) => setStatus(err.message, true)));
$('redeliver').addEventListener('click', async () => {
  const id = $('redeliver').dataset.delivery;
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

if (token()) void connect();
else setStatus('Type the project and an API token (local mode: hookpost-local-dev-token).');
