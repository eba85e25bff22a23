// The ladder (sequence) diagram of the wire: peers on the left, this kernel on the right, one arrow per packet.
import { store } from './app.js';
import { $, esc, showText, WindowedList } from './util.js';

const ROW = 30;

/** The seed's six steps, and which of the API's report steps belong to each. */
const SIX = [
  ['1. NIC receive', (s) => s.startsWith('nic.')],
  ['2. IP validation', (s) => s.startsWith('ip.') || s === 'tcp.header'],
  ['3. 4-tuple', (s) => s === 'tcp.tuple'],
  ['4. Hash table lookup', (s) => s.startsWith('demux.')],
  ['5. TCB, receive buffer and ACK', () => true],
];

export function tupleOf(p) {
  if (!p.src) return '';
  return p.direction === 'in' ? p.src + '-' + p.dst : p.dst + '-' + p.src;
}

export function describe(p) {
  if (!p.flags) return p.summary;
  let s = `[${p.flags}] seq ${p.seq}`;
  if (p.ack != null) s += ` ack ${p.ack}`;
  s += ` len ${p.length} win ${p.window}`;
  return s;
}

export class Ladder {
  constructor(el, detail) {
    this.el = el;
    this.detail = detail;
    this.shown = [];
    this.list = new WindowedList(el, ROW, (p, i, style) => this.row(p, i, style));
    el.addEventListener('click', (e) => {
      const row = e.target.closest('.pkt');
      if (row) this.select(Number(row.dataset.no));
    });
    el.addEventListener('keydown', (e) => this.key(e));
    $('#wire-filter').addEventListener('input', () => this.render());
  }

  reset() {
    this.detail.innerHTML = '<p class="muted">Click a packet (or select it and press Enter) to follow it through the seed\'s six steps.</p>';
    this.lastLen = -1;
  }

  render() {
    // A text filter rather than a list of connections: a select of 1 000 options costs more to lay out than the ladder.
    const only = $('#wire-filter').value.trim();
    this.shown = only ? store.packets.filter((p) => tupleOf(p).includes(only)) : store.packets;
    $('#wire-count').textContent = `${store.packets.length} packets` + (only ? `, ${this.shown.length} shown` : '');
    this.list.set(this.shown);
  }

  row(p, i, style) {
    const drop = store.drops.get(p.no) || (store.reports.get(p.no) && store.reports.get(p.no).drop
      ? { reason: store.reports.get(p.no).drop } : null);
    const sel = store.selPacket === p.no;
    const peer = p.direction === 'in' ? p.src : p.dst;
    const label = describe(p) + (p.payload ? ` "${showText(p.payload).slice(0, 24)}"` : '');
    const arrow = p.direction === 'in' ? '→' : '←';
    const future = store.until != null && p.timeMs > store.until;
    return `<div class="pkt ${p.direction}${drop ? ' drop' : ''}${sel ? ' selected' : ''}${future ? ' future' : ''}" role="option" aria-selected="${sel}"
      data-no="${p.no}" data-flags="${esc(p.flags || '')}" data-dir="${p.direction}" style="${style}"
      title="${esc(p.summary)}">
      <span class="no">#${p.no}</span><span class="t">${p.timeMs} ms</span><span class="peer">${esc(peer || '?')}</span>
      <span class="lane"><span class="line"></span><span class="lbl"><b>${arrow}</b> ${drop
        ? `<em class="dropmark">✕ dropped: ${esc(drop.reason)}</em> ` : ''}${esc(label)}</span></span>
      <span class="kport">${esc(p.direction === 'in' ? (p.dst || '').replace(/^.*:/, ':') : (p.src || '').replace(/^.*:/, ':'))}</span>
    </div>`;
  }

  key(e) {
    const idx = this.shown.findIndex((p) => p.no === store.selPacket);
    let next = null;
    if (e.key === 'ArrowDown') next = Math.min(this.shown.length - 1, idx + 1);
    else if (e.key === 'ArrowUp') next = Math.max(0, idx < 0 ? this.shown.length - 1 : idx - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = this.shown.length - 1;
    else if (e.key === 'Enter' && idx >= 0) next = idx;
    if (next == null || next < 0) return;
    e.preventDefault();
    this.select(this.shown[next].no);
    this.list.scrollToIndex(next);
  }

  select(no) {
    store.selPacket = no;
    const p = store.packets.find((x) => x.no === no);
    this.list.paint(true);
    if (!p) return;
    const tuple = tupleOf(p);
    const report = store.reports.get(no);
    const drop = store.drops.get(no);
    let html = `<h3>Packet #${p.no} ${p.direction === 'in' ? 'received' : 'sent'} at ${p.timeMs} ms
      <span class="muted">${esc(tuple)}</span></h3><p class="mono">${esc(p.summary)}</p>`;
    if (report) {
      html += this.steps(report);
    } else {
      const related = store.related.get(no) || [];
      html += p.direction === 'in'
        ? `<p class="muted">This packet was not sent from this page, so its six-step report (the answer to the POST that sent it) is not
           here; what the kernel logged after it:</p>`
        : `<p class="muted">Sent by the kernel. What it logged around this packet:</p>`;
      if (drop) html += `<p class="dropmark">✕ dropped: ${esc(drop.reason)}: ${esc(drop.detail)}</p>`;
      html += '<ul class="steps">' + (related.length ? related.map((e) => `<li><b>${esc(e.type)}</b> ${esc(e.subject)}: ${esc(e.detail)}</li>`).join('')
        : '<li>nothing else</li>') + '</ul>';
    }
    this.detail.innerHTML = html;
    if (tuple && store.connByTuple.has(tuple)) store.selTuple = tuple;
  }

  /** The report of POST .../packets grouped as the seed numbers its steps. */
  steps(r) {
    const groups = SIX.map(([title]) => ({ title, items: [] }));
    for (const s of r.steps || []) {
      const g = SIX.findIndex(([, match]) => match(s.step));
      groups[g].items.push(s);
    }
    let html = `<p>Verdict: <b>${esc(r.verdict)}</b>${r.drop ? ` <em class="dropmark">✕ ${esc(r.drop)}</em>` : ''}${r.state
      ? ` · connection now <b>${esc(r.state)}</b>` : ''}</p><ol class="six">`;
    for (const g of groups) {
      html += `<li><h4>${g.title}</h4>` + (g.items.length
        ? '<ul>' + g.items.map((s) => `<li><code>${esc(s.step)}</code> ${esc(s.detail)}</li>`).join('') + '</ul>'
        : '<p class="muted">not reached</p>');
      if (g.title.startsWith('5') && r.tcbAfter) {
        const a = r.tcbAfter;
        const t = a.tcb;
        html += `<p>TCB after: <b>${esc(a.state)}</b>${t ? ` · SND.UNA ${t.sndUna} SND.NXT ${t.sndNxt} RCV.NXT ${t.rcvNxt} RCV.WND ${t.rcvWnd}`
          + ` · Recv-Q ${a.recvQ} Send-Q ${a.sendQ}` : ''}</p>`;
      }
      if (g.title.startsWith('5') && r.sent && r.sent.length) {
        html += '<p>sent: ' + r.sent.map((s) => `<code>${esc(s.summary)}</code>`).join('<br>') + '</p>';
      }
      html += '</li>';
    }
    html += `<li><h4>6. Wake-up</h4>${r.woke && r.woke.length ? '<ul>' + r.woke.map((w) => `<li>${esc(w)}</li>`).join('') + '</ul>'
      : '<p class="muted">no thread was waiting</p>'}</li></ol>`;
    return html;
  }
}
