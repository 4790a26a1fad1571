// The order drill-down panel: the order, its event history, its chat and its washer's track
// (drawn on the map by the map renderer). Requests for an order that is no longer selected
// are discarded when they land.

import { fetchMessages, fetchOrder, fetchTrack, fetchUser } from './api.js';
import { clock, dateTime, money, statusLabel } from './format.js';

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      node.append(child instanceof Node ? child : String(child));
    }
  }
  return node;
}

/** The track endpoint may answer a list or `{points: [...]}`; either way, a list of points. */
function trackPoints(body) {
  if (Array.isArray(body)) return body;
  if (body && Array.isArray(body.points)) return body.points;
  if (body && Array.isArray(body.items)) return body.items;
  return [];
}

export function createDrilldown(root, store, { onClose }) {
  const title = root.querySelector('#drilldown-title');
  const pill = root.querySelector('#drilldown-status');
  const body = root.querySelector('#drilldown-body');
  let generation = 0;
  let refreshTimer = 0;
  const people = new Map(); // user id -> { full_name, ... }: names do not change while we look

  /** The customer's name (fetched once per customer); null when it cannot be read. */
  async function person(userId) {
    if (userId == null) return null;
    if (!people.has(userId)) {
      try {
        people.set(userId, await fetchUser(userId));
      } catch {
        return null; // shown by id; asked again next time
      }
    }
    return people.get(userId);
  }

  root.querySelector('#drilldown-close').addEventListener('click', onClose);

  function facts(order, washers, customer) {
    const washer = order.washer_id != null ? washers.get(order.washer_id) : null;
    const rows = [
      ['Price', money(order.price_cents, store.state.config.currency)],
      ['Address', order.address],
      ['Customer', customer ? `${customer.full_name} (#${order.customer_id})` : `#${order.customer_id}`],
      ['Washer', washer ? `${washer.name} (#${washer.id})` : order.washer_id ? `#${order.washer_id}` : '—'],
      ['Booked', dateTime(order.created_at)],
      ['Scheduled', order.scheduled_for ? dateTime(order.scheduled_for) : 'as soon as possible'],
    ];
    if (order.notes) rows.push(['Notes', order.notes]);
    const list = h('dl', { class: 'facts' });
    for (const [label, value] of rows) {
      list.append(h('dt', {}, label), h('dd', { 'data-fact': label.toLowerCase() }, value ?? '—'));
    }
    return list;
  }

  function history(events) {
    const list = h('ol', { class: 'timeline', id: 'drilldown-events' });
    for (const event of events) {
      const move = event.from_status
        ? `${statusLabel(event.from_status)} → ${statusLabel(event.to_status)}`
        : `booked (${statusLabel(event.to_status)})`;
      const actor = event.actor_id ? `${event.actor_role} #${event.actor_id}` : event.actor_role;
      list.append(
        h(
          'li',
          { class: `status-${event.to_status}`, 'data-seq': event.seq },
          h('time', { datetime: event.occurred_at }, clock(event.occurred_at)),
          h('span', { class: 'timeline-move' }, move),
          h('span', { class: 'muted' }, ` · ${actor}`),
          event.reason ? h('span', { class: 'muted' }, ` · “${event.reason}”`) : null,
        ),
      );
    }
    return list;
  }

  function chat(page) {
    const section = h('div', { id: 'drilldown-chat' });
    if (!page) {
      section.append(h('p', { class: 'muted small' }, 'Chat unavailable.'));
      return section;
    }
    const items = [...(page.items || [])].reverse(); // the API answers newest first
    if (items.length === 0) {
      section.append(h('p', { class: 'muted small' }, 'No messages.'));
      return section;
    }
    const list = h('ul', { class: 'chat' });
    for (const message of items) {
      list.append(
        h(
          'li',
          { class: `chat-${message.sender_role}` },
          h('span', { class: 'chat-who' }, `${message.sender_role} · ${clock(message.sent_at)}`),
          h('span', { class: 'chat-body' }, message.body),
        ),
      );
    }
    section.append(list);
    return section;
  }

  function settled(result) {
    return result.status === 'fulfilled' ? result.value : null;
  }

  async function load(orderId, { quiet = false } = {}) {
    const mine = ++generation;
    root.hidden = false;
    root.dataset.orderId = orderId;
    title.textContent = `Order #${orderId}`;
    if (!quiet) {
      pill.textContent = '';
      body.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    }
    const [detail, messages, track] = await Promise.allSettled([
      fetchOrder(orderId),
      fetchMessages(orderId),
      fetchTrack(orderId),
    ]);
    if (mine !== generation || store.state.selectedOrderId !== orderId) return;
    const found = settled(detail);
    if (!found) {
      const reason = detail.reason && detail.reason.message ? detail.reason.message : 'not found';
      body.replaceChildren(h('p', { class: 'form-error' }, `Could not load the order: ${reason}`));
      return;
    }
    const { order, events } = found;
    const customer = await person(order.customer_id);
    if (mine !== generation || store.state.selectedOrderId !== orderId) return;
    store.addOrderDetail(order);
    pill.textContent = statusLabel(order.status);
    pill.className = `pill status-${order.status}`;
    root.dataset.status = order.status;
    const points = trackPoints(settled(track));
    store.setTrack(points);
    body.replaceChildren(
      facts(order, store.state.washers, customer),
      h('h3', {}, 'History'),
      history(events || []),
      h('h3', {}, 'Chat'),
      chat(settled(messages)),
      h('h3', {}, 'Track'),
      h(
        'p',
        { class: 'muted small', id: 'drilldown-track' },
        points.length ? `${points.length} points, drawn on the map.` : 'No track recorded.',
      ),
    );
  }

  return {
    show(orderId) {
      load(orderId);
    },
    hide() {
      generation += 1;
      root.hidden = true;
      delete root.dataset.orderId;
    },
    /** The selected order changed on the stream: reload it, at most once a second. */
    orderChanged(orderId) {
      if (refreshTimer || store.state.selectedOrderId !== orderId) return;
      refreshTimer = setTimeout(() => {
        refreshTimer = 0;
        if (store.state.selectedOrderId === orderId) load(orderId, { quiet: true });
      }, 1_000);
    },
  };
}
