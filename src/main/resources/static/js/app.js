// The dashboard's core: one kernel's state, kept live from its SSE event stream and the public API.
import { get, put, post, kernelPath, token, setToken, ApiError } from './api.js';
import { openEventStream } from './stream.js';
import { $, $$, esc, syncSelect } from './util.js';
import { Ladder } from './ladder.js';
import { initForms, logLine, pollPending, syncProcesses } from './forms.js';
import { ProcessView, StateView, HashView, TsgView, ScenarioView, EventsView } from './views.js';

const EVENT_TYPES = ['PACKET_IN', 'PACKET_OUT', 'PACKET_DROP', 'PIPELINE_STEP', 'STATE_CHANGE', 'FD_ALLOC', 'FD_FREE',
  'THREAD_SLEEP', 'THREAD_WAKE', 'TIMER_FIRED', 'SYSCALL', 'PROCESS', 'CONGESTION'];
const MAX_KEPT = 10000; // as many events and packets as the server keeps by default
const REFRESH_MS = 250;  // at most four redraws a second, however fast events arrive

/** Everything the views draw, for the selected kernel. */
export const store = {
  kernel: new URLSearchParams(location.search).get('kernel') || 'default',
  info: null,
  clock: { mode: 'manual', nowMs: 0, timers: [] },
  conns: [],
  connByTuple: new Map(),
  listeners: [],
  processes: [],
  packets: [],
  lastNo: 0,
  events: [],
  lastSeq: 0,
  drops: new Map(),        // wire no -> {reason, detail}, from PACKET_DROP events and injection reports
  reports: new Map(),      // wire no -> the POST .../packets answer for packets this page sent
  related: new Map(),      // wire no -> events that followed it (state changes, FDs, wake-ups)
  transitions: new Map(),  // tuple or listener address -> [{seq, timeMs, from, to, detail}]
  selTuple: '',
  selPacket: null,
  until: null,             // while a scenario is stepped through: its clock, later packets are greyed out
  stream: { received: 0, duplicates: 0, gaps: 0, opens: 0 },
};

const views = {};
let source = null;
let curPacket = null;

export const base = () => kernelPath(store.kernel);

// ------------------------------------------------------------------ the event stream

function openStream() {
  if (source) source.close();
  // ?after= only for the first connection; an EventSource that reconnects by itself sends Last-Event-ID, which wins.
  const es = openEventStream(base() + '/events/stream?after=' + store.lastSeq, token());
  source = es;
  es.onopen = () => {
    if (source !== es) return;
    store.stream.opens++;
    setStream('live');
  };
  es.onerror = () => {
    if (source !== es) return;
    if (es.readyState === EventSource.CLOSED) {
      // The server refused (kernel gone, too many streams): try again ourselves, resuming after the last event.
      setStream('closed');
      setTimeout(() => { if (source === es) openStream(); }, 3000);
    } else {
      setStream('reconnecting');
    }
  };
  for (const type of EVENT_TYPES) es.addEventListener(type, (e) => { if (source === es) onEvent(e); });
}

function setStream(state) {
  const el = $('#stream-status');
  const s = store.stream;
  el.dataset.state = state;
  el.dataset.received = s.received;
  el.dataset.lastSeq = store.lastSeq;
  el.dataset.duplicates = s.duplicates;
  el.dataset.gaps = s.gaps;
  el.dataset.reconnects = Math.max(0, s.opens - 1);
  const words = { live: '● live', reconnecting: '◌ reconnecting…', closed: '✕ disconnected', connecting: '◌ connecting…' };
  el.textContent = `${words[state] || state} · ${s.received} events` + (s.opens > 1 ? ` · ${s.opens - 1} reconnect${s.opens === 2 ? '' : 's'}` : '');
}

function onEvent(e) {
  let ev;
  try { ev = JSON.parse(e.data); } catch { return; }
  const seq = Number(ev.seq ?? e.lastEventId);
  if (seq <= store.lastSeq) { store.stream.duplicates++; return; }
  if (store.lastSeq > 0 && seq > store.lastSeq + 1) store.stream.gaps++;
  store.lastSeq = seq;
  store.stream.received++;
  store.events.push(ev);
  if (store.events.length > MAX_KEPT * 1.2) store.events.splice(0, store.events.length - MAX_KEPT);
  digest(ev);
  schedule();
}

/** What an event says about a packet or a connection, kept for the views that draw it. */
function digest(ev) {
  if (ev.type === 'PACKET_IN' || ev.type === 'PACKET_OUT') {
    curPacket = Number(String(ev.subject).replace('#', ''));
    return;
  }
  if (curPacket != null) {
    let list = store.related.get(curPacket);
    if (!list) {
      list = [];
      store.related.set(curPacket, list);
      if (store.related.size > MAX_KEPT) store.related.delete(store.related.keys().next().value);
    }
    if (list.length < 40) list.push(ev);
  }
  if (ev.type === 'PACKET_DROP' && /^[A-Z_]+$/.test(ev.subject) && curPacket != null) {
    store.drops.set(curPacket, { reason: ev.subject, detail: ev.detail });
  }
  if (ev.type === 'STATE_CHANGE') {
    const m = /^([A-Z_0-9]+) -> ([A-Z_0-9]+)/.exec(ev.detail);
    if (m) {
      let list = store.transitions.get(ev.subject);
      if (!list) { list = []; store.transitions.set(ev.subject, list); }
      list.push({ seq: ev.seq, timeMs: ev.timeMs, from: m[1], to: m[2], detail: ev.detail });
      if (list.length > 8) list.shift();
    }
  }
}

// ------------------------------------------------------------------ throttled refresh

let dirty = false;
let running = false;
let lastRun = 0;

/** Something changed: fetch and redraw soon, but never more than once per REFRESH_MS. */
export function schedule() {
  dirty = true;
  if (running) return;
  running = true;
  setTimeout(refresh, Math.max(0, REFRESH_MS - (performance.now() - lastRun)));
}

/** Fetches now and resolves when the views are drawn (forms await it so their pre-fill is current). */
export async function refreshNow() {
  while (running) await new Promise((r) => setTimeout(r, 20));
  running = true;
  await refresh();
}

async function refresh() {
  dirty = false;
  lastRun = performance.now();
  const kernel = store.kernel;
  try {
    const [clock, conns, listeners, processes] = await Promise.all([
      get(base() + '/clock'), get(base() + '/connections'), get(base() + '/listeners'), get(base() + '/processes'),
      fetchPackets()]);
    if (kernel !== store.kernel) return;
    store.clock = clock;
    store.conns = conns;
    store.connByTuple = new Map(conns.map((c) => [c.tuple, c]));
    store.listeners = listeners;
    store.processes = processes;
    const tab = activeTab();
    if (views[tab] && views[tab].fetch) await views[tab].fetch();
    await pollPending();
    const fetched = performance.now();
    requestAnimationFrame(() => {
      const t = performance.now();
      render();
      // How long a refresh takes, for anyone checking that the page keeps up (fetch, then drawing).
      const el = $('#stream-status');
      el.dataset.fetchMs = Math.round(fetched - lastRun);
      el.dataset.renderMs = Math.round(performance.now() - t);
    });
  } catch (err) {
    showError(err);
  } finally {
    running = false;
    if (dirty) schedule();
  }
}

async function fetchPackets() {
  for (let pages = 0; pages < 20; pages++) {
    const batch = await get(base() + '/packets?limit=1000&after=' + store.lastNo);
    if (!batch.length) return;
    for (const p of batch) store.packets.push(p);
    store.lastNo = batch[batch.length - 1].no;
    if (store.packets.length > MAX_KEPT * 1.2) store.packets.splice(0, store.packets.length - MAX_KEPT);
    if (batch.length < 1000) return;
  }
}

function render() {
  renderHeader();
  syncProcesses();
  const t0 = performance.now();
  views.ladder.render();
  const t1 = performance.now();
  const tab = activeTab();
  if (tab !== 'scenario') store.until = null;
  if (views[tab]) views[tab].render();
  const el = $('#stream-status');
  el.dataset.ladderMs = Math.round(t1 - t0);
  el.dataset.viewMs = Math.round(performance.now() - t1);
  setStream($('#stream-status').dataset.state);
}

function renderHeader() {
  $('#clock-now').textContent = store.clock.nowMs;
  $('#timer-count').textContent = store.clock.timers.length;
  const next = store.clock.timers.reduce((m, t) => Math.min(m, t.inMs), Infinity);
  $('#next-timer').disabled = !isFinite(next);
  $('#next-timer').title = isFinite(next) ? `Advance ${next} ms to the next timer (${store.clock.timers.find((t) => t.inMs === next).name})` : 'No timer pending';
  $('#timer-count').parentElement.title = store.clock.timers.map((t) => `${t.name} (${t.owner}) in ${t.inMs} ms`).join('\n');
  $('#realtime').checked = store.clock.mode === 'realtime';
  const c = store.conns.length;
  setKernelInfo(`${store.info ? store.info.address + ', ' + store.info.hash : ''} · ${c} connection${c === 1 ? '' : 's'}`
    + ` · ${store.listeners.length} listener${store.listeners.length === 1 ? '' : 's'}`);
}

function setKernelInfo(text) { $('#kernel-info').textContent = text; }

/** A 401 means workshop mode and no (valid) token: ask for one rather than show the problem's text. */
function showError(err) {
  if (err instanceof ApiError && err.status === 401) showTokenField(err);
  else setKernelInfo('⚠ ' + err.message);
}

// ------------------------------------------------------------------ kernels, clock, tabs

export async function loadKernels(select) {
  let list;
  try {
    list = await get('/api/v1/kernels');
  } catch (err) {
    showError(err);
    throw err;
  }
  if (select) store.kernel = select;
  if (!list.some((k) => k.id === store.kernel)) store.kernel = list.length ? list[0].id : 'default';
  syncSelect($('#kernel'), list.map((k) => ({ value: k.id, label: `${k.id} (${k.address}, ${k.hash})` })), false);
  $('#kernel').value = store.kernel;
  store.info = list.find((k) => k.id === store.kernel) || null;
}

export async function switchKernel(id) {
  if (source) source.close();
  source = null;
  await loadKernels(id);
  Object.assign(store, {
    clock: { mode: 'manual', nowMs: 0, timers: [] }, conns: [], connByTuple: new Map(), listeners: [], processes: [],
    packets: [], lastNo: 0, events: [], lastSeq: 0, drops: new Map(), reports: new Map(), related: new Map(),
    transitions: new Map(), selTuple: '', selPacket: null, until: null, stream: { received: 0, duplicates: 0, gaps: 0, opens: 0 },
  });
  curPacket = null;
  const url = new URL(location.href);
  url.searchParams.set('kernel', store.kernel);
  history.replaceState(null, '', url);
  $('#kernel-addr').textContent = store.info ? store.info.address : '';
  if (store.info) $('#packet-form').dst.value = store.info.address + ':8080';
  views.ladder.reset();
  Object.values(views).forEach((v) => v.reset && v.reset());
  setStream('connecting');
  openStream();
  schedule();
}

export function activeTab() {
  const t = $('[role=tab][aria-selected=true]');
  return t ? t.id.replace('tab-', '') : 'send';
}

export function selectTab(name) {
  for (const tab of $$('[role=tab]')) {
    const on = tab.id === 'tab-' + name;
    tab.setAttribute('aria-selected', on);
    tab.tabIndex = on ? 0 : -1;
    $('#' + tab.getAttribute('aria-controls')).hidden = !on;
  }
  history.replaceState(null, '', location.pathname + location.search + '#' + name);
  schedule();
}

function initTabs() {
  const tabs = $$('[role=tab]');
  tabs.forEach((tab, i) => {
    tab.addEventListener('click', () => selectTab(tab.id.replace('tab-', '')));
    tab.addEventListener('keydown', (e) => {
      const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (!d) return;
      const next = tabs[(i + d + tabs.length) % tabs.length];
      next.focus();
      selectTab(next.id.replace('tab-', ''));
    });
  });
  const wanted = location.hash.replace('#', '');
  selectTab(tabs.some((t) => t.id === 'tab-' + wanted) ? wanted : 'send');
}

/** One connection selected everywhere: the state diagram, the time-sequence graph, the packet form. */
export function selectConnection(tuple) {
  store.selTuple = tuple;
  for (const id of ['#state-conn', '#tsg-conn']) {
    const s = $(id);
    if ([...s.options].some((o) => o.value === tuple)) s.value = tuple;
  }
  schedule();
}

function initClock() {
  $('#advance').addEventListener('click', () => advance(Number($('#advance-ms').value)));
  $('#next-timer').addEventListener('click', () => {
    const next = store.clock.timers.reduce((m, t) => Math.min(m, t.inMs), Infinity);
    if (isFinite(next)) advance(Math.max(1, next));
  });
  $('#realtime').addEventListener('change', async (e) => {
    try {
      await put(base() + '/clock', { mode: e.target.checked ? 'realtime' : 'manual' });
      logLine('ok', `clock mode: ${e.target.checked ? 'realtime' : 'manual'}`);
    } catch (err) {
      logLine('err', err.message);
    }
    schedule();
  });
  // In realtime mode the clock moves without events; tick the display.
  setInterval(() => { if (store.clock.mode === 'realtime') schedule(); }, 1000);
}

async function advance(ms) {
  try {
    const r = (await post(base() + '/clock/advance', { ms })).body;
    logLine('ok', `clock advanced ${r.advancedMs} ms to ${r.nowMs} ms: ${r.timersFired} timer(s) fired`);
  } catch (err) {
    logLine('err', err.message);
  }
  schedule();
}

async function start() {
  views.ladder = new Ladder($('#wire'), $('#packet-detail'));
  views.process = new ProcessView();
  views.states = new StateView();
  views.hash = new HashView();
  views.tsg = new TsgView();
  views.scenario = new ScenarioView();
  views.events = new EventsView();
  initTabs();
  initClock();
  initForms();
  initWorkshop();
  $('#kernel').addEventListener('change', (e) => switchKernel(e.target.value));
  $('#kernel').addEventListener('focus', () => loadKernels().catch(() => {}));
  await switchKernel(store.kernel);
}

// ------------------------------------------------------------------ workshop mode: tokens and new kernels

/**
 * In workshop mode every kernel needs its attendee's token (the service answers 401 without one). The page then shows
 * a token field; "New kernel" makes a kernel, and without a token the answer carries a new one, kept in this tab.
 */
function showTokenField(err) {
  $('#token-field').hidden = false;
  if (err) {
    setKernelInfo(token()
      ? '⚠ this token is not valid any more: paste another, or press New kernel for a new kernel and token'
      : 'workshop mode: paste your token, or press New kernel for a kernel and a token');
  }
}

function initWorkshop() {
  const input = $('#token');
  input.value = token();
  if (token()) showTokenField();
  input.addEventListener('change', () => {
    setToken(input.value);
    switchKernel().catch(showError);
  });
  $('#new-kernel').addEventListener('click', newKernel);
}

async function newKernel() {
  try {
    const created = (await post('/api/v1/kernels', undefined)).body;
    if (created.token) {
      setToken(created.token);
      $('#token').value = created.token;
      showTokenField();
      logLine('ok', `kernel ${created.id} and your token, kept in this tab only: ${created.token}`
        + ` (curl: -H 'Authorization: Bearer ${created.token}')`);
    } else {
      logLine('ok', `kernel ${created.id} (${created.address}) created`);
    }
    await switchKernel(created.id);
  } catch (err) {
    logLine('err', err instanceof ApiError ? `${err.status}: ${err.message}` : err.message);
  }
}

start().catch(showError);
