// The live event feed: newest first, at most CAP entries, each an `li[data-event]` (with
// `data-order-id` when it concerns an order; clicking it opens the order).

import { clock, money, statusLabel } from './format.js';

const CAP = 200;

function describe(entry, currency) {
  if (entry.text) return entry.text;
  const id = `#${entry.orderId}`;
  if (entry.event === 'order.created') {
    return `New order ${id} · ${money(entry.priceCents, currency)}`;
  }
  const move = `${statusLabel(entry.fromStatus)} → ${statusLabel(entry.status)}`;
  const who = entry.washerId !== null && entry.status === 'assigned' ? ` · washer ${entry.washerId}` : '';
  const by = entry.actorRole && entry.actorRole !== 'washer' ? ` · by ${entry.actorRole}` : '';
  const why = entry.reason ? ` · “${entry.reason}”` : '';
  return `Order ${id} ${move}${who}${by}${why}`;
}

function item(entry, currency) {
  const li = document.createElement('li');
  li.dataset.event = entry.event;
  li.className = `feed-item event-${entry.event.replace('.', '-')}`;
  if (entry.orderId != null) {
    li.dataset.orderId = entry.orderId;
    li.tabIndex = 0;
    li.setAttribute('role', 'button');
  }
  if (entry.status) li.classList.add(`status-${entry.status}`);
  const time = document.createElement('time');
  time.dateTime = entry.ts || '';
  time.textContent = clock(entry.ts || Date.now());
  const mark = document.createElement('span');
  mark.className = 'feed-mark';
  const text = document.createElement('span');
  text.className = 'feed-text';
  text.textContent = describe(entry, currency);
  li.append(time, mark, text);
  return li;
}

export function createFeed(list, counter, { onSelectOrder, currency = () => null }) {
  let total = 0;
  let shownBefore = 0;

  function open(event) {
    const li = event.target.closest('li[data-order-id]');
    if (li) onSelectOrder(Number(li.dataset.orderId));
  }
  list.addEventListener('click', open);
  list.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      open(event);
    }
  });

  /** Prepend the entries added since the last frame (oldest first in `added`), and append
   * the older ones loaded when the page opened (newest first in `backfill`). */
  function render(added, backfill = []) {
    if (added.length === 0 && backfill.length === 0) return;
    const fragment = document.createDocumentFragment();
    for (let i = added.length - 1; i >= 0 && i >= added.length - CAP; i -= 1) {
      fragment.appendChild(item(added[i], currency()));
    }
    list.prepend(fragment);
    const older = document.createDocumentFragment();
    for (const entry of backfill.slice(0, Math.max(0, CAP - list.children.length))) {
      const li = item(entry, currency());
      li.dataset.backfill = '1';
      older.appendChild(li);
    }
    list.append(older);
    while (list.children.length > CAP) list.lastElementChild.remove();
    total += added.length;
    shownBefore += backfill.length;
    counter.textContent = shownBefore
      ? `${total} received · ${shownBefore} from before`
      : `${total} received`;
  }

  return { render };
}
