// Small helpers shared by the views.

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ESC[c]);

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

/** "GET /\r\n" typed in a form becomes the bytes a C programmer means. */
export function unescapeText(s) {
  return String(s).replace(/\\(r|n|t|\\)/g, (_, c) => ({ r: '\r', n: '\n', t: '\t', '\\': '\\' })[c]);
}

export function showText(s) {
  return String(s ?? '').replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

/**
 * A windowed list: only the rows in view (plus a margin) are in the DOM, so 10 000 rows scroll as smoothly as
 * ten. rowHtml(item, index) returns one row's HTML; rows are absolutely placed at index * rowHeight.
 */
export class WindowedList {
  constructor(container, rowHeight, rowHtml) {
    this.el = container;
    this.rowHeight = rowHeight;
    this.rowHtml = rowHtml;
    this.items = [];
    this.spacer = container.querySelector('.spacer');
    this.body = document.createElement('div');
    this.body.className = 'rows';
    container.appendChild(this.body);
    this.lastKey = '';
    container.addEventListener('scroll', () => this.paint(false), { passive: true });
  }

  atBottom() {
    return this.el.scrollTop + this.el.clientHeight >= this.el.scrollHeight - this.rowHeight * 1.5;
  }

  /** Replaces the items; follows the end when the user was already looking at it. */
  set(items, follow = true) {
    const stick = follow && this.atBottom();
    this.items = items;
    this.spacer.style.height = items.length * this.rowHeight + 'px';
    if (stick) this.el.scrollTop = this.el.scrollHeight;
    this.paint(true);
  }

  scrollToIndex(i) {
    const top = i * this.rowHeight;
    if (top < this.el.scrollTop) this.el.scrollTop = top;
    else if (top + this.rowHeight > this.el.scrollTop + this.el.clientHeight) {
      this.el.scrollTop = top + this.rowHeight - this.el.clientHeight;
    }
    this.paint(true);
  }

  paint(force) {
    const h = this.el.clientHeight || 400;
    const first = Math.max(0, Math.floor(this.el.scrollTop / this.rowHeight) - 10);
    const last = Math.min(this.items.length, Math.ceil((this.el.scrollTop + h) / this.rowHeight) + 10);
    const key = first + ':' + last + ':' + this.items.length;
    if (!force && key === this.lastKey) return;
    this.lastKey = key;
    let html = '';
    for (let i = first; i < last; i++) {
      html += this.rowHtml(this.items[i], i, 'top:' + i * this.rowHeight + 'px;height:' + this.rowHeight + 'px');
    }
    // Unchanged rows stay the same DOM nodes: a redraw with nothing new costs no layout and loses no focus.
    if (html !== this.lastHtml) {
      this.lastHtml = html;
      this.body.innerHTML = html;
    }
  }
}

/** Keeps a select's options in step with a list without rebuilding it (and losing focus) when nothing changed. */
export function syncSelect(select, options, keep = true) {
  const key = options.map((o) => o.value + '\u0000' + o.label).join('\u0001');
  if (select.dataset.key === key) return;
  const current = select.value;
  select.innerHTML = options.map((o) => `<option value="${esc(o.value)}">${esc(o.label)}</option>`).join('');
  select.dataset.key = key;
  if (keep && options.some((o) => o.value === current)) select.value = current;
}
