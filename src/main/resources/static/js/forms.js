// Forms that drive the kernel: packets in, system calls, processes. Every answer is logged in Results.
import { get, post, del, withToken } from './api.js';
import { store, base, refreshNow, schedule } from './app.js';
import { $, $$, esc, syncSelect, unescapeText } from './util.js';

const pending = new Map(); // href -> call text, for blocked calls answered 202

export function logLine(kind, text, extra = '') {
  const li = document.createElement('li');
  li.className = kind;
  li.innerHTML = `<span class="tag">${kind === 'ok' ? '✓' : kind === 'wait' ? '…' : '✕'}</span> <span class="mono">${esc(text)}</span>${extra}`;
  const list = $('#console');
  list.prepend(li);
  while (list.children.length > 200) list.lastChild.remove();
}

function problemText(err) {
  const p = err.problem || {};
  return `${err.status}: ${p.detail || err.message}`;
}

// ------------------------------------------------------------------ packets

const KINDS = {
  syn: { flags: 'S', payload: '' },
  ack: { flags: '.', payload: '' },
  data: { flags: 'P.', payload: 'GET /hello HTTP/1.1\\r\\n' },
  fin: { flags: 'F.', payload: '' },
  rst: { flags: 'R', payload: '' },
};

/** seq and ack from the TCB: the kernel expects RCV.NXT next and has sent up to SND.NXT. */
async function prefill(kind) {
  const f = $('#packet-form');
  const k = KINDS[kind];
  f.dataset.prefilled = '';
  f.flags.value = k.flags;
  f.payload.value = k.payload;
  const tuple = f.src.value.trim() + '-' + f.dst.value.trim();
  let conn = null;
  try {
    conn = await get(base() + '/connections/' + encodeURIComponent(tuple).replace(/%3A/g, ':'));
  } catch {
    conn = null;
  }
  const tcb = conn && conn.tcb;
  if (kind === 'syn') {
    f.seq.value = f.seq.value || 1000;
    f.ack.value = '';
    f.mss.value = 1460;
    $('#prefill-note').textContent = tcb ? `a SYN for a connection in ${conn.state}` : 'a new connection: seq is its ISN';
  } else {
    f.mss.value = '';
    if (tcb) {
      f.seq.value = tcb.rcvNxt;
      f.ack.value = kind === 'rst' ? '' : tcb.sndNxt;
      $('#prefill-note').textContent = `from the TCB (${conn.state}): seq = RCV.NXT ${tcb.rcvNxt}`
        + (kind === 'rst' ? '' : `, ack = SND.NXT ${tcb.sndNxt}`);
    } else {
      $('#prefill-note').textContent = `no connection ${tuple}: fill seq/ack yourself`;
    }
  }
  f.dataset.prefilled = kind;
}

async function sendPacket(e) {
  e.preventDefault();
  const f = $('#packet-form');
  const body = { src: f.src.value.trim(), dst: f.dst.value.trim(), flags: f.flags.value.trim() };
  for (const n of ['seq', 'ack', 'window', 'mss']) if (f[n].value !== '') body[n] = Number(f[n].value);
  if (f.payload.value) body.payload = unescapeText(f.payload.value);
  f.dataset.sent = '';
  try {
    const res = (await post(base() + '/packets', body)).body;
    for (const r of res.results) {
      const m = /packet #(\d+)/.exec((r.steps && r.steps[0] && r.steps[0].detail) || '');
      if (m) store.reports.set(Number(m[1]), r);
      logLine(r.drop ? 'err' : 'ok', `${r.packet ? r.packet.summary : 'packet'} → ${r.verdict}${r.drop ? ' (' + r.drop + ')' : ''}`
        + (r.state ? `, ${r.state}` : ''),
      (r.sent || []).map((s) => `<div class="mono sub">sent ${esc(s.summary)}</div>`).join(''));
    }
  } catch (err) {
    logLine('err', problemText(err));
  }
  await refreshNow();
  // The TCB as it stands right after this packet: the 'after' to the report's 'before' (tcp.tcb).
  for (const [no, r] of store.reports) {
    if (!r.tcbAfter && r.connection) r.tcbAfter = store.connByTuple.get(r.connection) || { state: 'gone from the table' };
  }
  f.dataset.sent = String(Date.now());
}

// ------------------------------------------------------------------ system calls

const FD_CALLS = 'bind listen accept read write close shutdown setsockopt getsockopt fcntl dup connect';

function showArgs() {
  const call = $('#call-select').value;
  for (const label of $$('#syscall-form .args label')) {
    label.hidden = !label.dataset.for.split(' ').includes(call);
  }
}

function syscallBody(f, call) {
  const fd = Number(f.fd.value);
  switch (call) {
    case 'socket': return {};
    case 'bind': case 'connect': return { fd, addr: f.addr.value.trim() };
    case 'listen': return { fd, backlog: Number(f.backlog.value) };
    case 'read': return { fd, count: Number(f.count.value) };
    case 'write': return { fd, data: unescapeText(f.data.value) };
    case 'shutdown': return { fd, how: f.how.value };
    case 'setsockopt': {
      const b = { fd, option: f.option.value, value: Number(f.value.value) };
      if (f.onoff.value !== '') b.onoff = Number(f.onoff.value);
      return b;
    }
    case 'getsockopt': return { fd, option: f.option.value };
    case 'fcntl': return f.cmd.value === 'F_SETFL'
      ? { fd, cmd: 'F_SETFL', flags: f.fflags.value.split(/[|, ]+/).filter(Boolean) } : { fd, cmd: 'F_GETFL' };
    case 'dup2': return { oldfd: Number(f.oldfd.value), newfd: Number(f.newfd.value) };
    default: return { fd };
  }
}

function logSyscall(r) {
  if (r.status === 'pending') {
    logLine('wait', `${r.strace} (thread ${r.pending.tid} sleeps on ${r.pending.waitChannel})`);
    pending.set(r.pending.href, r.pending.call);
    return;
  }
  const extra = (r.sent || []).map((s) => `<div class="mono sub">sent ${esc(s.summary)}</div>`).join('');
  logLine(r.errno ? 'err' : 'ok', r.strace, extra);
}

async function doSyscall(e) {
  e.preventDefault();
  const f = $('#syscall-form');
  const call = f.call.value;
  const pid = f.pid.value;
  if (!pid) { logLine('err', 'start a process first'); return; }
  f.dataset.done = '';
  try {
    const wait = f.wait.value === '' ? '' : '?wait=' + Number(f.wait.value);
    const res = await post(`${base()}/processes/${pid}/${call}${wait}`, syscallBody(f, call));
    logSyscall(res.body);
    // The next call most likely uses the FD this one returned.
    if ((call === 'socket' || call === 'accept' || call === 'dup') && res.body.ret >= 0) f.fd.value = res.body.ret;
  } catch (err) {
    logLine('err', problemText(err));
  }
  await refreshNow();
  f.dataset.done = String(Date.now());
}

/** Blocked calls finish when a packet or the clock wakes them: collect their answers. */
export async function pollPending() {
  for (const [href, call] of [...pending]) {
    try {
      const res = await fetch(href + '?wait=0', { headers: withToken({ accept: 'application/json' }) });
      if (res.status === 202) continue;
      pending.delete(href);
      const body = await res.json();
      if (res.ok) logSyscall(body);
      else logLine('err', `${call}: ${body.detail || res.status}`);
    } catch {
      pending.delete(href);
    }
  }
}

// ------------------------------------------------------------------ processes

async function spawn(e) {
  e.preventDefault();
  const name = $('#process-form').name.value.trim();
  try {
    const p = (await post(base() + '/processes', { name })).body;
    logLine('ok', `process '${p.name}' started: pid ${p.pid}, FDs ${p.fds.map((x) => x.fd).join(', ')}`);
    await refreshNow();
    $('#pid-select').value = String(p.pid);
  } catch (err) {
    logLine('err', problemText(err));
  }
}

async function exitProcess() {
  const pid = $('#pid-select').value;
  if (!pid) return;
  try {
    const r = (await del(`${base()}/processes/${pid}`)).body;
    logLine('ok', `pid ${pid} exited${r && r.status ? ': ' + r.status : ''}`);
  } catch (err) {
    logLine('err', problemText(err));
  }
  schedule();
}

/** Keeps the process pickers in step with the kernel's processes. */
export function syncProcesses() {
  const opts = store.processes.map((p) => ({ value: String(p.pid), label: `${p.pid} ${p.name}` }));
  syncSelect($('#pid-select'), opts);
  syncSelect($('#proc-select'), opts);
}

export function initForms() {
  for (const b of $$('#packet-form [data-kind]')) b.addEventListener('click', () => prefill(b.dataset.kind));
  $('#packet-form').addEventListener('submit', sendPacket);
  $('#syscall-form').addEventListener('submit', doSyscall);
  $('#call-select').addEventListener('change', showArgs);
  $('#process-form').addEventListener('submit', spawn);
  $('#exit-process').addEventListener('click', exitProcess);
  showArgs();
}
