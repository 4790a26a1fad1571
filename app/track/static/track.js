// The share link's page: status, ETA, the washer's position and the destination pin on a
// map, live. No names and no address: the destination is only a (rounded) pin.
// The token is the last segment of the page's own URL; everything else comes from the
// share stream through the JavaScript SDK's ShareFollower (SSE, reconnects by itself).
// The map is the dashboard's SVG projection of the service area: no tiles, works offline.
//
// Test hooks: `#tracking[data-state]` (connecting, live, reconnecting, ended), `#status`
// with `data-status`, the washer marker `g#washer-marker` with `data-lat`, `data-lng`,
// `data-x`, `data-y` and `data-moves` (fixes drawn so far), the destination pin
// `circle#destination-pin` with `data-lat`, `data-lng`; `#heading` says when the link ended.

import { ShareFollower } from '/sdk/washline.js';
import { projection } from '/dashboard/static/map.js';
import { duration, statusLabel } from '/dashboard/static/format.js';

const SVG = 'http://www.w3.org/2000/svg';
const TRAIL_POINTS = 200;
const page = document.getElementById('tracking');
const map = document.getElementById('map');
const token = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() || '');

let area = null;
let destination = null;
let proj = null;
const trail = [];
let moves = 0;

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (parent) parent.appendChild(node);
  return node;
}

function text(id, value) {
  document.getElementById(id).textContent = value;
}

function drawMap() {
  if (!area) return;
  const { width, height } = map.getBoundingClientRect();
  proj = projection(area, Math.max(width, 1), Math.max(height, 1));
  map.replaceChildren();
  map.setAttribute('viewBox', `0 0 ${proj.width} ${proj.height}`);
  el('rect', {
    class: 'area', x: proj.left, y: proj.top, width: proj.right - proj.left, height: proj.bottom - proj.top, rx: 6,
  }, map);
  if (destination) {
    el('circle', {
      class: 'pin',
      id: 'destination-pin',
      r: 6,
      cx: proj.x(destination.lng).toFixed(1),
      cy: proj.y(destination.lat).toFixed(1),
      'data-lat': String(destination.lat),
      'data-lng': String(destination.lng),
    }, map);
  }
  el('polyline', { class: 'trail', id: 'trail' }, map);
  const marker = el('g', { id: 'washer-marker', 'data-moves': String(moves) }, map);
  marker.style.display = 'none';
  el('line', { class: 'heading', x1: 0, y1: 0, x2: 0, y2: -14 }, marker);
  el('circle', { class: 'washer-dot', r: 7 }, marker);
  drawPosition();
}

function drawPosition() {
  const marker = document.getElementById('washer-marker');
  if (!proj || !marker) return;
  const last = trail[trail.length - 1];
  if (!last) {
    marker.style.display = 'none';
    return;
  }
  const x = proj.x(last.lng);
  const y = proj.y(last.lat);
  marker.style.display = '';
  marker.setAttribute('transform', `translate(${x.toFixed(1)} ${y.toFixed(1)}) rotate(${last.heading || 0})`);
  Object.assign(marker.dataset, {
    lat: String(last.lat), lng: String(last.lng), x: x.toFixed(1), y: y.toFixed(1), moves: String(moves),
  });
  const points = trail.map((p) => `${proj.x(p.lng).toFixed(1)},${proj.y(p.lat).toFixed(1)}`).join(' ');
  document.getElementById('trail').setAttribute('points', points);
}

function showPosition(position) {
  if (!position) {
    text('eta', '—');
    text('distance', '—');
    return;
  }
  const previous = trail[trail.length - 1];
  if (!previous || previous.lat !== position.lat || previous.lng !== position.lng) {
    trail.push(position);
    if (trail.length > TRAIL_POINTS) trail.shift();
    moves += 1;
  }
  text('eta', typeof position.eta_seconds === 'number' ? duration(position.eta_seconds) : '—');
  text('distance', typeof position.distance_m === 'number' ? `${(position.distance_m / 1000).toFixed(1)} km` : '—');
  text('updated', new Date(position.ts).toLocaleTimeString());
  drawPosition();
}

function showStatus({ status }) {
  const label = document.getElementById('status');
  label.dataset.status = status;
  label.textContent = statusLabel(status);
  if (!['assigned', 'en_route', 'arrived'].includes(status)) {
    text('eta', status === 'in_progress' ? 'washing now' : '—');
  }
}

function setState(state) {
  if (page.dataset.state === 'ended') return;
  page.dataset.state = state;
  const badge = document.getElementById('connection');
  badge.dataset.state = state;
  badge.textContent = state;
}

const follower = new ShareFollower({
  token,
  onSnapshot(order) {
    area = order.area;
    destination = order.destination;
    showStatus(order);
    drawMap();
    showPosition(order.position);
  },
  onStatus: showStatus,
  onLocation: showPosition,
  onState: setState,
  onEnd({ code, message }) {
    setState('ended');
    page.dataset.state = 'ended';
    text('heading', 'This tracking link has ended');
    const note = document.getElementById('ended');
    note.hidden = false;
    note.dataset.code = code;
    const why = message || code;
    note.textContent = `${why.charAt(0).toUpperCase()}${why.slice(1)}.`;
  },
});

new ResizeObserver(() => drawMap()).observe(map);
follower.start();
