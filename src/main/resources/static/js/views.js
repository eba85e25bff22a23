// The seed's pictures, drawn from the running kernel: FD chains, the state diagram, the hash table, the
// time-sequence graph, a scenario stepped through, and the event log.
import { get, post, withToken, ApiError } from './api.js';
import { store, base, schedule, selectConnection, switchKernel } from './app.js';
import { $, esc, showText, syncSelect, WindowedList } from './util.js';
import { tupleOf } from './ladder.js';

const SVG = 'http://www.w3.org/2000/svg';

/** The first 100 connections and the selected one: the full list is the windowed list on the States tab. */
function connOptions() {
  const first = store.conns.slice(0, 100);
  const sel = store.connByTuple.get(store.selTuple);
  if (sel && !first.includes(sel)) first.push(sel);
  return first.map((c) => ({ value: c.tuple, label: `${c.tuple} ${c.state}` }));
}

function syncConnSelect(select) {
  syncSelect(select, connOptions());
  if (store.selTuple && store.connByTuple.has(store.selTuple)) select.value = store.selTuple;
  else if (select.value) store.selTuple = select.value;
}

// ------------------------------------------------------------------ per process: FD -> file -> socket -> TCB -> hash

export class ProcessView {
  constructor() {
    this.chain = null;
    this.fd = null;
    $('#proc-select').addEventListener('change', () => { this.fd = null; schedule(); });
    $('#fd-table').addEventListener('click', (e) => this.pick(e));
    $('#fd-table').addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); this.pick(e); } });
  }

  reset() { this.fd = null; this.chain = null; this.sig = ''; }

  pick(e) {
    const row = e.target.closest('tr[data-fd]');
    if (!row) return;
    this.fd = Number(row.dataset.fd);
    schedule();
  }

  process() {
    const pid = Number($('#proc-select').value);
    return store.processes.find((p) => p.pid === pid) || store.processes[0];
  }

  async fetch() {
    const p = this.process();
    if (!p) { this.chain = null; return; }
    const sockets = p.fds.filter((f) => f.type === 'IPv4');
    if (this.fd == null || !p.fds.some((f) => f.fd === this.fd)) {
      this.fd = sockets.length ? sockets[sockets.length - 1].fd : null;
    }
    if (this.fd == null) { this.chain = null; return; }
    try {
      this.chain = await get(`${base()}/processes/${p.pid}/fds/${this.fd}`);
    } catch (err) {
      this.chain = { error: err.message };
    }
  }

  render() {
    const opts = store.processes.map((p) => ({ value: String(p.pid), label: `${p.pid} ${p.name}` }));
    syncSelect($('#proc-select'), opts);
    const p = this.process();
    const body = $('#fd-table tbody');
    if (!p) {
      body.innerHTML = '<tr><td colspan="2" class="muted">no process yet: start one on the Send tab</td></tr>';
      $('#fd-chain').innerHTML = '';
      return;
    }
    $('#proc-threads').textContent = `${p.openFds} of ${p.fdLimit} FDs open · ` + p.threads.map((t) => `thread ${t.tid} ${t.state}`
      + (t.waitChannel ? ` on ${t.waitChannel}` : '') + (t.call ? ` in ${t.call}` : '')).join(', ');
    const sig = JSON.stringify(p.fds) + this.fd;
    if (sig !== this.sig) {
      this.sig = sig;
      // Long FD tables (1 000 connections) stay cheap: the rows around the selected FD and the first ones.
      const fds = p.fds.length > 300 ? p.fds.filter((f, i) => i < 200 || Math.abs(f.fd - this.fd) < 50) : p.fds;
      body.innerHTML = fds.map((f) => `<tr data-fd="${f.fd}" tabindex="0" class="${f.fd === this.fd ? 'selected' : ''}"
        aria-selected="${f.fd === this.fd}"><th scope="row">${f.fd}${f.fd === this.fd ? ' ▶' : ''}</th>
        <td><span class="tag">${esc(f.type)}</span> ${esc(f.name)}${f.refCount > 1 ? ` <b>(${f.refCount} refs)</b>` : ''}${f.nonBlocking ? ' O_NONBLOCK' : ''}</td></tr>`).join('')
        + (fds.length < p.fds.length ? `<tr><td colspan="2" class="muted">${p.fds.length - fds.length} more not shown</td></tr>` : '');
    }
    const c = this.chain;
    if (!c) { $('#fd-chain').innerHTML = '<p class="muted">No socket FD in this process.</p>'; return; }
    if (c.error) { $('#fd-chain').innerHTML = `<p class="muted">${esc(c.error)}</p>`; return; }
    const box = (title, lines, cls = '') => `<div class="box ${cls}"><h4>${title}</h4>${lines.map((l) => `<div>${l}</div>`).join('')}</div>`;
    let html = box(`FD table slot ${c.fd}`, [`pid ${c.pid} (${esc(c.process)})`, `fd <b>${c.fd}</b>`], 'fd');
    html += box('open file', [esc(c.file.path), `${c.file.refCount} reference${c.file.refCount === 1 ? '' : 's'}, ${esc(c.file.flags)}`,
      c.file.sharedWith && c.file.sharedWith.length ? 'shared with ' + esc(c.file.sharedWith.join(', ')) : '']);
    html += box('socket', [`inode ${c.socket.inode}`, esc(c.socket.role),
      c.socket.waitQueue && c.socket.waitQueue.length ? 'waiting: ' + esc(c.socket.waitQueue.join(', ')) : 'nobody waiting']);
    if (c.tcb) {
      const t = c.tcb.tcb || {};
      html += box('TCB', [esc(c.tcb.tuple), `state <b>${esc(c.tcb.state)}</b>`,
        `SND.UNA ${t.sndUna ?? '-'} SND.NXT ${t.sndNxt ?? '-'}`, `RCV.NXT ${t.rcvNxt ?? '-'} RCV.WND ${t.rcvWnd ?? '-'}`,
        `Recv-Q ${c.tcb.recvQ} Send-Q ${c.tcb.sendQ}`], 'tcb');
    } else {
      html += box('TCB', ['none: a listener has no 4-tuple; it lives in the listening table']);
    }
    if (c.hashEntry) {
      const h = c.hashEntry;
      html += box('hash entry', [`${esc(h.function)} = ${esc(h.hash)}`, `bucket <b>${h.bucket}</b> of ${h.buckets}`,
        `entry ${h.positionInChain} of ${h.chainLength} in its chain`], 'hash');
    }
    $('#fd-chain').innerHTML = html;
    $('#fd-chain').setAttribute('aria-label', (c.walk || []).join('; '));
  }
}

// ------------------------------------------------------------------ the TCP state diagram (RFC 9293, figure 5)

const NODES = {
  CLOSE: [280, 24, 'CLOSED'], LISTEN: [280, 86, 'LISTEN'], SYN_RECV: [95, 150, 'SYN-RECEIVED'], SYN_SENT: [465, 150, 'SYN-SENT'],
  ESTABLISHED: [280, 212, 'ESTABLISHED'], FIN_WAIT1: [95, 282, 'FIN-WAIT-1'], CLOSE_WAIT: [465, 282, 'CLOSE-WAIT'],
  CLOSING: [280, 330, 'CLOSING'], FIN_WAIT2: [95, 400, 'FIN-WAIT-2'], TIME_WAIT: [280, 400, 'TIME-WAIT'], LAST_ACK: [465, 345, 'LAST-ACK'],
  GONE: [465, 412, 'CLOSED (freed)'],
};
// As RFC 9293's figure 5 draws them, with Linux's SYN cookie shortcut; the connection's end is drawn bottom right.
const EDGES = [
  ['CLOSE', 'LISTEN', 'listen()'], ['CLOSE', 'SYN_SENT', 'connect() / SYN', [430, 40]], ['LISTEN', 'SYN_RECV', 'SYN / SYN,ACK'],
  ['SYN_RECV', 'LISTEN', 'RST', [215, 150]], ['SYN_SENT', 'SYN_RECV', 'SYN / SYN,ACK', [280, 180]], ['SYN_SENT', 'ESTABLISHED', 'SYN,ACK / ACK'],
  ['SYN_RECV', 'ESTABLISHED', 'ACK'], ['LISTEN', 'ESTABLISHED', 'SYN cookie', [390, 115]], ['SYN_RECV', 'FIN_WAIT1', 'close() / FIN'],
  ['ESTABLISHED', 'FIN_WAIT1', 'close() / FIN'], ['ESTABLISHED', 'CLOSE_WAIT', 'FIN / ACK'], ['FIN_WAIT1', 'FIN_WAIT2', 'ACK of FIN'],
  ['FIN_WAIT1', 'CLOSING', 'FIN / ACK'], ['FIN_WAIT2', 'TIME_WAIT', 'FIN / ACK'], ['CLOSING', 'TIME_WAIT', 'ACK of FIN'],
  ['CLOSE_WAIT', 'LAST_ACK', 'close() / FIN'], ['LAST_ACK', 'GONE', 'ACK of FIN'], ['TIME_WAIT', 'GONE', '60 s'],
  ['SYN_SENT', 'CLOSE', 'RST / timeout', [520, 60]],
];
const W = 118;
const H = 28;
const alias = (s) => (s === 'CLOSED' ? 'CLOSE' : s);
/** A transition's edge: a connection that leaves LAST_ACK, TIME_WAIT, ... for CLOSED ends in the bottom-right box. */
const edgeOf = (t) => {
  const from = alias(t.from);
  const to = alias(t.to);
  return [from, to === 'CLOSE' && from !== 'SYN_SENT' && from !== 'LISTEN' ? 'GONE' : to];
};

function clip(x1, y1, x2, y2) {
  // Where the line from the centre (x1, y1) towards (x2, y2) leaves the box around (x1, y1).
  const dx = x2 - x1;
  const dy = y2 - y1;
  const t = Math.min(dx ? (W / 2 + 3) / Math.abs(dx) : Infinity, dy ? (H / 2 + 3) / Math.abs(dy) : Infinity);
  return [x1 + dx * t, y1 + dy * t];
}

export class StateView {
  constructor() {
    this.built = false;
    $('#state-conn').addEventListener('change', (e) => selectConnection(e.target.value));
    this.list = new WindowedList($('#conn-list'), 24, (c, i, style) => `<div class="crow${c.tuple === store.selTuple ? ' selected' : ''}"
      style="${style}" data-tuple="${esc(c.tuple)}" role="button" tabindex="-1"><b>${esc(c.state)}</b> <span class="mono">${esc(c.tuple)}</span>
      <span class="muted">${esc(c.owner)} · Recv-Q ${c.recvQ} Send-Q ${c.sendQ}${c.timer ? ' · ' + esc(c.timer) : ''}</span></div>`);
    $('#conn-list').addEventListener('click', (e) => {
      const row = e.target.closest('[data-tuple]');
      if (row) selectConnection(row.dataset.tuple);
    });
  }

  build() {
    const svg = $('#state-diagram');
    let html = `<defs><marker id="arr" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
      <path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>`;
    for (const [from, to, label, via] of EDGES) {
      const [x1, y1] = NODES[from];
      const [x2, y2] = NODES[to];
      const [cx, cy] = via || [(x1 + x2) / 2, (y1 + y2) / 2];
      const [sx, sy] = clip(x1, y1, cx, cy);
      const [ex, ey] = clip(x2, y2, cx, cy);
      const d = via ? `M${sx},${sy} Q${cx},${cy} ${ex},${ey}` : `M${sx},${sy} L${ex},${ey}`;
      const lx = via ? (sx + 2 * cx + ex) / 4 : (sx + ex) / 2;
      const ly = via ? (sy + 2 * cy + ey) / 4 : (sy + ey) / 2;
      html += `<g class="edge" data-edge="${from}>${to}"><path d="${d}" marker-end="url(#arr)"/>
        <text x="${lx}" y="${ly - 3}" text-anchor="middle">${esc(label)}</text><text class="badge" x="${lx}" y="${ly + 11}" text-anchor="middle"></text></g>`;
    }
    for (const [id, [x, y, label]] of Object.entries(NODES)) {
      html += `<g class="node" data-state="${id === 'CLOSE' ? 'CLOSED' : id}"><rect x="${x - W / 2}" y="${y - H / 2}" width="${W}" height="${H}" rx="6"/>
        <text x="${x}" y="${y + 4}" text-anchor="middle">${label}</text><text class="count" x="${x + W / 2 - 4}" y="${y - H / 2 + 10}" text-anchor="end"></text></g>`;
    }
    svg.innerHTML = html;
    this.built = true;
  }

  reset() { this.sig = ''; }

  render() {
    if (!this.built) this.build();
    syncConnSelect($('#state-conn'));
    const counts = {};
    for (const c of store.conns) counts[c.state] = (counts[c.state] || 0) + 1;
    if (store.listeners.length) counts.LISTEN = (counts.LISTEN || 0) + store.listeners.length;
    const sel = store.connByTuple.get(store.selTuple);
    const recent = (store.transitions.get(store.selTuple) || []).slice(-3);
    for (const g of document.querySelectorAll('#state-diagram .node')) {
      const s = g.dataset.state;
      const n = counts[s] || 0;
      const current = sel && sel.state === s;
      g.classList.toggle('lit', n > 0);
      g.classList.toggle('current', !!current);
      g.querySelector('.count').textContent = (current ? '▶ ' : '') + (n ? `(${n})` : '');
      g.setAttribute('aria-label', `${s}: ${n} connection${n === 1 ? '' : 's'}${current ? ', the selected one' : ''}`);
    }
    for (const g of document.querySelectorAll('#state-diagram .edge')) {
      const [from, to] = g.dataset.edge.split('>');
      const hits = recent.map((t, i) => {
        const [f, e] = edgeOf(t);
        return f === from && e === to ? i + 1 : 0;
      }).filter(Boolean);
      g.classList.toggle('recent', hits.length > 0);
      g.querySelector('.badge').textContent = hits.length ? hits.map((i) => '#' + i).join(' ') : '';
    }
    const all = store.transitions.get(store.selTuple) || [];
    $('#transitions').innerHTML = all.length ? all.slice(-5).map((t) => `<li><b>${esc(t.from)} → ${esc(t.to)}</b>
      at ${t.timeMs} ms <span class="muted">${esc(t.detail.replace(/^[A-Z_0-9]+ -> [A-Z_0-9]+:?\s*/, ''))}</span></li>`).join('')
      : `<li class="muted">${store.selTuple ? 'no transition seen yet for ' + esc(store.selTuple) : 'no connection selected'}</li>`;
    $('#conn-count').textContent = `${store.conns.length} (windowed list)`;
    this.list.set(store.conns, false);
  }
}

// ------------------------------------------------------------------ the established table: bucket map and one chain

export class HashView {
  constructor() {
    this.demux = null;
    this.bucket = null;
    this.chain = null;
    $('#bucket-list').addEventListener('click', (e) => {
      const b = e.target.closest('[data-bucket]');
      if (b) { this.bucket = Number(b.dataset.bucket); schedule(); }
    });
    $('#bucket-map').addEventListener('click', (e) => this.mapClick(e));
    $('#run-demo').addEventListener('click', () => this.demo());
  }

  reset() { this.bucket = null; this.demux = null; this.chain = null; this.listSig = ''; }

  async fetch() {
    this.demux = await get(base() + '/demux?maxBuckets=4096');
    const sel = store.connByTuple.get(store.selTuple);
    if (this.bucket == null && sel) this.bucket = sel.bucket;
    if (this.bucket == null && this.demux.nonEmptyBuckets.length) this.bucket = this.demux.nonEmptyBuckets[0].index;
    this.chain = this.bucket == null ? null : await get(`${base()}/demux/buckets/${this.bucket}`);
  }

  layout() {
    const n = this.demux.buckets;
    const cell = Math.max(1, Math.floor(Math.sqrt((512 * 256) / n)));
    const cols = Math.floor(512 / cell);
    return { cell, cols, rows: Math.ceil(n / cols) };
  }

  mapClick(e) {
    if (!this.demux) return;
    const { cell, cols } = this.layout();
    const r = e.target.getBoundingClientRect();
    const x = Math.floor(((e.clientX - r.left) * (512 / r.width)) / cell);
    const y = Math.floor(((e.clientY - r.top) * (256 / r.height)) / cell);
    const i = y * cols + x;
    // A click lands on the nearest non-empty bucket, since one pixel is hard to hit.
    let best = i;
    let dist = Infinity;
    for (const b of this.demux.nonEmptyBuckets) {
      const d = Math.abs((b.index % cols) - x) + Math.abs(Math.floor(b.index / cols) - y);
      if (d < dist) { dist = d; best = b.index; }
    }
    this.bucket = dist < 12 ? best : i;
    schedule();
  }

  render() {
    const d = this.demux;
    if (!d) return;
    const xor = d.hash === 'xor';
    $('#demux-summary').innerHTML = `<b>${esc(d.hash)}</b>: ${esc(d.distribution)}${xor
      ? ' <strong class="warn">⚠ XOR hash (the seed\'s): addresses and ports that XOR alike share a bucket; Linux keys jhash with a secret. Run the comparison below.</strong>'
      : ''}`;
    $('#xor-demo').open = $('#xor-demo').open || xor;
    const canvas = $('#bucket-map');
    const ctx = canvas.getContext('2d');
    const { cell, cols, rows } = this.layout();
    canvas.height = Math.min(256, rows * cell);
    ctx.fillStyle = '#eef1f5';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const mark = Math.max(cell, 4);
    for (const b of d.nonEmptyBuckets) {
      const x = (b.index % cols) * cell;
      const y = Math.floor(b.index / cols) * cell;
      ctx.fillStyle = b.length >= 4 ? '#7a0019' : b.length >= 2 ? '#c2410c' : '#1d4ed8';
      ctx.fillRect(x - (mark - cell) / 2, y - (mark - cell) / 2, mark, mark);
    }
    if (this.bucket != null) {
      const x = (this.bucket % cols) * cell;
      const y = Math.floor(this.bucket / cols) * cell;
      ctx.strokeStyle = '#111';
      ctx.lineWidth = 2;
      ctx.strokeRect(x - 6, y - 6, cell + 12, cell + 12);
    }
    $('#chain-lengths tbody').innerHTML = Object.entries(d.chainLengths)
      .map(([len, n]) => `<tr><td>${len}</td><td>${n}</td></tr>`).join('');
    const shown = d.nonEmptyBuckets.slice(0, 120);
    const sig = JSON.stringify(shown) + this.bucket + d.usedBuckets;
    if (sig !== this.listSig) {
      this.listSig = sig;
      $('#bucket-list').innerHTML = shown.map((b) => `<button type="button" role="listitem" data-bucket="${b.index}"
      class="${b.index === this.bucket ? 'selected' : ''}" aria-pressed="${b.index === this.bucket}"
      title="${esc(b.chain.map((c) => c.tuple + ' ' + c.state).join('\n'))}">bucket ${b.index} · ${'▮'.repeat(Math.min(b.length, 8))} ${b.length}</button>`).join('')
      + (d.nonEmptyBuckets.length > shown.length || d.truncated ? `<span class="muted">… ${d.usedBuckets - shown.length} more used buckets</span>` : '')
      + (d.nonEmptyBuckets.length ? '' : '<span class="muted">the table is empty</span>');
    }
    const c = this.chain;
    if (!c) { $('#bucket-chain').innerHTML = ''; return; }
    $('#bucket-chain').dataset.bucket = c.index;
    $('#bucket-chain').innerHTML = `<div class="box hash"><h4>bucket ${c.index}</h4><div>chain length ${c.length}</div></div>`
      + c.chain.map((e, i) => `<div class="box tcb${e.tuple === store.selTuple ? ' current' : ''}" data-tuple="${esc(e.tuple)}"><h4>entry ${i + 1}</h4>
        <div class="mono">${esc(e.tuple)}</div><div>${esc(e.state)} · hash ${esc(e.hash)}</div></div>`).join('')
      + '<div class="box null"><h4>NULL</h4><div>end of chain</div></div>';
  }

  async demo() {
    const out = $('#demo-out');
    out.textContent = 'measuring…';
    try {
      const res = await fetch(base() + '/demux/demo?format=text', {
        method: 'POST', headers: withToken({ 'content-type': 'application/json' }),
        body: JSON.stringify({ pattern: $('#demo-pattern').value, connections: Number($('#demo-n').value) }),
      });
      out.textContent = await res.text();
    } catch (err) {
      out.textContent = err.message;
    }
  }
}

// ------------------------------------------------------------------ time-sequence graph (Stevens / tcptrace)

export class TsgView {
  constructor() {
    $('#tsg-conn').addEventListener('change', (e) => selectConnection(e.target.value));
    $('#tsg-dir').addEventListener('change', () => this.render());
  }

  render() {
    syncConnSelect($('#tsg-conn'));
    const tuple = $('#tsg-conn').value || store.selTuple;
    const svg = $('#tsg');
    const pkts = store.packets.filter((p) => tupleOf(p) === tuple);
    if (!tuple || !pkts.length) {
      svg.innerHTML = '<text x="280" y="190" text-anchor="middle" class="muted">no packets for this connection</text>';
      return;
    }
    const dir = $('#tsg-dir').value;
    const data = pkts.filter((p) => p.direction === dir);
    const acks = pkts.filter((p) => p.direction !== dir && p.ack != null);
    const isn = data.length ? data[0].seq : (acks.length ? acks[0].ack - 1 : 0);
    const rel = (s) => ((s - isn) >>> 0);
    const span = (p) => p.length + (p.flags.includes('S') ? 1 : 0) + (p.flags.includes('F') ? 1 : 0);
    const t0 = pkts[0].timeMs;
    const t1 = pkts[pkts.length - 1].timeMs;
    const byTime = t1 > t0;
    const xOf = (p) => (byTime ? p.timeMs : p.no);
    const xs = pkts.map(xOf);
    const xmin = Math.min(...xs);
    const xmax = Math.max(...xs, xmin + 1);
    let ymax = 1;
    for (const p of data) ymax = Math.max(ymax, rel(p.seq) + span(p));
    for (const p of acks) ymax = Math.max(ymax, rel(p.ack) + (p.window || 0) * 0 + 1);
    const winMax = Math.max(ymax, ...acks.map((p) => rel(p.ack) + p.window));
    const yTop = Math.min(winMax, ymax * 1.6 + 10);
    const L = 60; const R = 540; const T = 14; const B = 340;
    const X = (x) => L + ((x - xmin) / (xmax - xmin)) * (R - L);
    const Y = (y) => B - (Math.min(y, yTop) / yTop) * (B - T);
    let h = `<line x1="${L}" y1="${B}" x2="${R}" y2="${B}" class="axis"/><line x1="${L}" y1="${T}" x2="${L}" y2="${B}" class="axis"/>
      <text x="${(L + R) / 2}" y="372" text-anchor="middle">${byTime ? 'time (ms, virtual)' : 'packet number (the clock did not move)'}</text>
      <text x="14" y="${(T + B) / 2}" transform="rotate(-90 14 ${(T + B) / 2})" text-anchor="middle">relative sequence number</text>
      <text x="${L - 4}" y="${B}" text-anchor="end">0</text><text x="${L - 4}" y="${T + 8}" text-anchor="end">${Math.round(yTop)}</text>
      <text x="${L}" y="${B + 14}">${xmin}</text><text x="${R}" y="${B + 14}" text-anchor="end">${xmax}</text>`;
    // ACK line and ACK + window line, as step functions.
    let ackPath = '';
    let winPath = '';
    let prev = null;
    for (const p of acks) {
      const x = X(xOf(p));
      const a = Y(rel(p.ack));
      const w = Y(rel(p.ack) + p.window);
      if (prev) { ackPath += ` L${x},${prev[0]}`; winPath += ` L${x},${prev[1]}`; }
      ackPath += (ackPath ? ' L' : 'M') + `${x},${a}`;
      winPath += (winPath ? ' L' : 'M') + `${x},${w}`;
      prev = [a, w];
    }
    if (prev) { ackPath += ` L${R},${prev[0]}`; winPath += ` L${R},${prev[1]}`; }
    h += `<path d="${ackPath}" class="ackline"/><path d="${winPath}" class="winline"/>`;
    for (const p of data) {
      const x = X(xOf(p));
      const y1 = Y(rel(p.seq));
      const y2 = Y(rel(p.seq) + Math.max(span(p), 0));
      const drop = store.drops.has(p.no);
      h += `<g class="seg${drop ? ' drop' : ''}"><title>#${p.no} ${esc(p.summary)}</title><line x1="${x}" y1="${y1}" x2="${x}" y2="${y2}"/>
        <line x1="${x - 4}" y1="${y1}" x2="${x + 4}" y2="${y1}"/><line x1="${x - 4}" y1="${y2}" x2="${x + 4}" y2="${y2}"/>
        <text x="${x + 5}" y="${y2 - 2}">${esc(p.flags)}${drop ? ' ✕' : ''}</text></g>`;
    }
    svg.innerHTML = h;
  }
}

// ------------------------------------------------------------------ scenario runner

export class ScenarioView {
  constructor() {
    this.list = null;
    this.run = null;
    this.pos = 0;
    $('#scenario-run').addEventListener('click', () => this.start());
    $('#scenario-prev').addEventListener('click', () => this.go(-1));
    $('#scenario-next').addEventListener('click', () => this.go(1));
    $('#scenario-select').addEventListener('change', () => this.render());
  }

  async fetch() {
    if (!this.list) this.list = await get('/api/v1/scenarios');
  }

  async start() {
    const id = $('#scenario-select').value;
    $('#scenario-pos').textContent = 'running…';
    try {
      this.run = (await post(`/api/v1/scenarios/${encodeURIComponent(id)}/runs`, {})).body;
      this.pos = 0;
      await switchKernel(this.run.kernel);
    } catch (err) {
      $('#scenario-pos').textContent = err instanceof ApiError ? `${err.status}: ${err.message}` : err.message;
    }
    this.render();
  }

  go(d) {
    if (!this.run) return;
    this.pos = Math.max(0, Math.min(this.run.steps.length - 1, this.pos + d));
    this.render();
    schedule();
  }

  render() {
    if (this.list) {
      syncSelect($('#scenario-select'), this.list.map((s) => ({ value: s.id, label: s.title })));
      const s = this.list.find((x) => x.id === $('#scenario-select').value);
      $('#scenario-summary').textContent = s ? s.summary : '';
    }
    const r = this.run;
    $('#scenario-prev').disabled = !r || this.pos === 0;
    $('#scenario-next').disabled = !r || this.pos >= r.steps.length - 1;
    if (!r) return;
    const s = r.steps[this.pos];
    // The ladder greys out what the story has not reached yet.
    store.until = r.kernel === store.kernel ? s.clockMs : null;
    $('#scenario-pos').textContent = `step ${this.pos + 1} of ${r.steps.length} · kernel ${r.kernel}`;
    const actions = (s.actions || []).map((a) => `<li><span class="tag">${esc(a.kind)}</span> <span class="mono">${esc(showText(a.text))}</span>`
      + (a.kernelPath ? '<ul>' + a.kernelPath.map((k) => `<li class="muted">${esc(k)}</li>`).join('') + '</ul>' : '') + '</li>').join('');
    const conns = (s.state && s.state.connections || []).map((c) => `<li class="mono">${esc(c.state)} ${esc(c.tuple)}${c.bucket != null ? ' · bucket ' + c.bucket : ''}${c.owner ? ' · ' + esc(c.owner) : ''}</li>`).join('');
    $('#scenario-step').innerHTML = `<h3>${s.step}. ${esc(s.title)} <span class="muted">${esc(String(s.time).startsWith('t=') ? s.time : 't=' + s.time)} (clock ${s.clockMs} ms)</span></h3>
      <p>${esc(s.narration)}</p><h4>What happened</h4><ul class="steps">${actions}</ul>
      ${s.sent && s.sent.length ? '<h4>Sent by the kernel</h4><ul class="steps">' + s.sent.map((p) => `<li class="mono">${esc(p.summary || p)}</li>`).join('') + '</ul>' : ''}
      <h4>Connections afterwards</h4><ul class="steps">${conns || '<li class="muted">none</li>'}</ul>`;
  }
}

// ------------------------------------------------------------------ event log

export class EventsView {
  constructor() {
    this.list = new WindowedList($('#event-list'), 22, (e, i, style) => `<div class="erow t-${e.type}" style="${style}">
      <span class="seq">${e.seq}</span><span class="t">${e.timeMs}</span><b>${esc(e.type)}</b> <span>${esc(e.subject)}</span>
      <span class="muted">${esc(e.detail)}</span></div>`);
    $('#event-type').addEventListener('change', () => this.render());
    this.types = new Set();
  }

  render() {
    for (const e of store.events.slice(-2000)) this.types.add(e.type);
    syncSelect($('#event-type'), [{ value: '', label: 'all' }, ...[...this.types].sort().map((t) => ({ value: t, label: t }))]);
    const only = $('#event-type').value;
    const items = only ? store.events.filter((e) => e.type === only) : store.events;
    $('#event-count').textContent = `${items.length} events (windowed list; newest kept ${store.events.length})`;
    this.list.set(items);
  }
}
