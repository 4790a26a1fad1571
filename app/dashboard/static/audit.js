// The live audit panel: the newest entries of the audit trail, newest first, at most CAP.
// It opens with the latest entries from GET /api/admin/audit (the backfill) and then takes
// each `audit.entry` of the `audit` channel as it arrives. A live event carries no entry id,
// so an entry that both bring (written while the page was loading) is recognised by what it
// says: when, what, who, on what, in which request.
//
// Each entry is an `li[data-action]`; clicking it (or Enter) shows its before/after changes
// and detail underneath, and its title says the same in one line for a hover.

import { clock } from './format.js';

const CAP = 100;

/** What identifies an entry without its id (the REST list and the event agree on these). */
function keyOf(entry) {
  const when = Date.parse(entry.occurred_at || '');
  return [
    Number.isNaN(when) ? entry.occurred_at : when,
    entry.action, entry.actor_id, entry.target_type, entry.target_id, entry.request_id,
  ].join('|');
}

function who(entry) {
  if (entry.actor_id == null) return entry.actor_role === 'system' ? 'system' : 'anonymous';
  return `${entry.actor_role || 'user'} #${entry.actor_id}`;
}

function what(entry) {
  if (!entry.target_type) return '';
  return entry.target_id == null ? entry.target_type : `${entry.target_type} #${entry.target_id}`;
}

const show = (value) => (value === undefined ? '—' : JSON.stringify(value));

/** The changed fields, each [name, before, after]; then the detail's fields, [name, value]. */
function changes(entry) {
  const before = entry.before || {};
  const after = entry.after || {};
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names.map((name) => [name, before[name], after[name]]);
}

function summary(entry) {
  const parts = [`${entry.action} by ${who(entry)}`];
  if (what(entry)) parts.push(`on ${what(entry)}`);
  for (const [name, was, is] of changes(entry)) parts.push(`${name}: ${show(was)} → ${show(is)}`);
  for (const [name, value] of Object.entries(entry.detail || {})) parts.push(`${name}: ${show(value)}`);
  return parts.join('\n');
}

function details(entry) {
  const box = document.createElement('div');
  box.className = 'audit-details';
  const rows = changes(entry);
  if (rows.length) {
    const table = document.createElement('table');
    table.className = 'audit-diff';
    const head = table.createTHead().insertRow();
    for (const title of ['field', 'before', 'after']) {
      const th = document.createElement('th');
      th.textContent = title;
      head.appendChild(th);
    }
    const body = table.createTBody();
    for (const [name, was, is] of rows) {
      const row = body.insertRow();
      row.dataset.field = name;
      for (const [text, cls] of [[name, ''], [show(was), 'was'], [show(is), 'is']]) {
        const cell = row.insertCell();
        cell.textContent = text;
        if (cls) cell.className = cls;
      }
    }
    box.appendChild(table);
  }
  const detail = Object.entries(entry.detail || {});
  if (detail.length) {
    const list = document.createElement('dl');
    list.className = 'facts audit-detail';
    for (const [name, value] of detail) {
      const dt = document.createElement('dt');
      dt.textContent = name;
      const dd = document.createElement('dd');
      dd.textContent = show(value);
      list.append(dt, dd);
    }
    box.appendChild(list);
  }
  const origin = [entry.request_id && `request ${entry.request_id}`, entry.address].filter(Boolean);
  if (origin.length) {
    const note = document.createElement('p');
    note.className = 'muted small';
    note.textContent = origin.join(' · ');
    box.appendChild(note);
  }
  if (!box.childElementCount) {
    const none = document.createElement('p');
    none.className = 'muted small';
    none.textContent = 'No changes recorded.';
    box.appendChild(none);
  }
  return box;
}

function item(entry, { backfill }) {
  const li = document.createElement('li');
  li.className = 'audit-item';
  li.dataset.action = entry.action;
  if (entry.target_type) li.dataset.targetType = entry.target_type;
  if (entry.target_id != null) li.dataset.targetId = String(entry.target_id);
  if (backfill) li.dataset.backfill = '1';
  li.tabIndex = 0;
  li.setAttribute('role', 'button');
  li.setAttribute('aria-expanded', 'false');
  li.title = summary(entry);
  const time = document.createElement('time');
  time.dateTime = entry.occurred_at || '';
  time.textContent = clock(entry.occurred_at || Date.now());
  const action = document.createElement('span');
  action.className = 'audit-action';
  action.textContent = entry.action;
  const line = document.createElement('span');
  line.className = 'audit-who muted';
  line.textContent = [who(entry), what(entry)].filter(Boolean).join(' → ');
  li.append(time, action, line);
  li.auditEntry = entry;
  return li;
}

export function createAuditPanel(list, counter) {
  const seen = new Set(); // keys of the entries shown
  let live = 0;
  let before = 0;

  function toggle(li) {
    const open = li.querySelector('.audit-details');
    if (open) {
      open.remove();
      li.setAttribute('aria-expanded', 'false');
    } else {
      li.appendChild(details(li.auditEntry));
      li.setAttribute('aria-expanded', 'true');
    }
  }
  list.addEventListener('click', (event) => {
    const li = event.target.closest('li.audit-item');
    if (li && !event.target.closest('.audit-details')) toggle(li);
  });
  list.addEventListener('keydown', (event) => {
    const li = event.target.closest('li.audit-item');
    if (li && (event.key === 'Enter' || event.key === ' ')) {
      event.preventDefault();
      toggle(li);
    }
  });

  function trim() {
    while (list.children.length > CAP) {
      const last = list.lastElementChild;
      seen.delete(keyOf(last.auditEntry));
      last.remove();
    }
  }

  function count() {
    counter.textContent = before ? `${live} live · ${before} from before` : `${live} live`;
  }

  return {
    /** Entries from GET /api/admin/audit (newest first): below what streamed in already. */
    backfill(items) {
      const fragment = document.createDocumentFragment();
      for (const entry of items) {
        const key = keyOf(entry);
        if (seen.has(key)) continue;
        seen.add(key);
        fragment.appendChild(item(entry, { backfill: true }));
        before += 1;
      }
      list.append(fragment);
      trim();
      count();
    },
    /** One `audit.entry` as it arrives: on top. */
    add(entry) {
      const key = keyOf(entry);
      if (seen.has(key)) return;
      seen.add(key);
      list.prepend(item(entry, { backfill: false }));
      live += 1;
      trim();
      count();
    },
    /** Signed out: nothing of the last session stays on the page. */
    clear() {
      list.replaceChildren();
      seen.clear();
      live = 0;
      before = 0;
      counter.textContent = '';
    },
  };
}
