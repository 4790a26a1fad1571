// The city map, drawn as SVG by the page itself (no tile server): a grid over the service
// area, washers as moving dots (idle / busy / no signal), orders as diamonds coloured by
// status, a line from each busy washer to its order, and the selected order's track.
// Only what changed since the last frame is touched; a new area redraws everything.
//
// Demand zones are hexagons under everything else, coloured by their surge multiplier, with
// demand and supply in their tooltip; clicking one selects it for the admin's cap or pin.
//
// Test hooks: every zone is `polygon[data-zone]` with `data-multiplier`, `data-demand` and
// `data-supply`; every washer marker is `g[data-washer-id]` with `data-lat`, `data-lng`,
// `data-x`, `data-y` and `data-state`; every order marker is `g[data-order-id]` with
// `data-status`.

import { duration, statusLabel } from './format.js';
import { surgeColour, zoneLabel } from './surge.js';

const SVG = 'http://www.w3.org/2000/svg';
const PAD = 28; // pixels kept free around the service area
const GRID_STEPS_KM = [0.25, 0.5, 1, 2, 5, 10, 20, 50];
const KM_PER_DEGREE_LAT = 110.574;
// Markers glide between fixes only while there are few of them: hundreds of SVG transforms
// transitioning at once are restyled and repainted on the main thread every frame, which
// took the page from 60 to ~34 frames a second at 300 washers (docs/benchmarks.md).
const GLIDE_MAX_WASHERS = 50;

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (parent) parent.appendChild(node);
  return node;
}

/** Equirectangular projection of the area onto the map's own pixels (one SVG unit is one
 * CSS pixel, so markers and labels keep their size whatever the area or the window), scaled
 * alike on both axes (longitude shrinks with cos(latitude)) and centred. */
export function projection(area, width, height) {
  const kx = Math.cos(((area.north + area.south) / 2) * (Math.PI / 180));
  const spanX = Math.max((area.east - area.west) * kx, 1e-6);
  const spanY = Math.max(area.north - area.south, 1e-6);
  const scale = Math.max(1e-6, Math.min((width - 2 * PAD) / spanX, (height - 2 * PAD) / spanY));
  const left = (width - spanX * scale) / 2;
  const top = (height - spanY * scale) / 2;
  return {
    area,
    width,
    height,
    left,
    top,
    right: left + spanX * scale,
    bottom: top + spanY * scale,
    x: (lng) => left + (lng - area.west) * kx * scale,
    y: (lat) => top + (area.north - lat) * scale,
    kmPerPixel: KM_PER_DEGREE_LAT / scale,
  };
}

/** Bounds of the data when the server gives no service area; they only ever grow. */
function areaAround(points, current) {
  if (points.length === 0) return current;
  let { south, west, north, east } = current || {
    south: Infinity,
    west: Infinity,
    north: -Infinity,
    east: -Infinity,
  };
  let grew = false;
  for (const [lat, lng] of points) {
    if (lat < south || lat > north || lng < west || lng > east) {
      grew = true;
      south = Math.min(south, lat);
      north = Math.max(north, lat);
      west = Math.min(west, lng);
      east = Math.max(east, lng);
    }
  }
  if (!grew) return current;
  const margin = Math.max(0.01, 0.15 * Math.max(north - south, east - west));
  return { south: south - margin, west: west - margin, north: north + margin, east: east + margin };
}

export function createMap(svg, emptyNote, summary, { onSelectOrder, onSelectZone, onResize }) {
  let proj = null;
  let fallbackArea = null;
  let size = { width: 0, height: 0 };

  // Redraw at the new size (the projection is in pixels), at most once per frame batch.
  new ResizeObserver(([entry]) => {
    const { width, height } = entry.contentRect;
    if (Math.abs(width - size.width) > 1 || Math.abs(height - size.height) > 1) onResize();
  }).observe(svg);
  const layers = {};
  const washerNodes = new Map();
  const orderNodes = new Map();
  const linkNodes = new Map();

  svg.addEventListener('click', (event) => {
    const target = event.target.closest('[data-order-id], [data-washer-id], [data-zone]');
    if (!target) return;
    if (target.dataset.zone) {
      onSelectZone(target.dataset.zone);
      return;
    }
    const orderId = target.dataset.orderId || target.dataset.activeOrderId;
    if (orderId) onSelectOrder(Number(orderId));
  });

  function resetLayers() {
    svg.replaceChildren();
    washerNodes.clear();
    orderNodes.clear();
    linkNodes.clear();
    for (const name of ['base', 'zones', 'links', 'track', 'orders', 'washers']) {
      layers[name] = el('g', { class: `layer layer-${name}` }, svg);
    }
  }

  function drawBase() {
    const { width, height, area } = proj;
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    el('rect', {
      class: 'area',
      x: proj.left,
      y: proj.top,
      width: proj.right - proj.left,
      height: proj.bottom - proj.top,
      rx: 6,
    }, layers.base);
    // A grid line every 0.25..50 km across the whole map, aligned on the area's corner.
    const stepKm = GRID_STEPS_KM.find((step) => (width * proj.kmPerPixel) / step <= 16) || 50;
    const step = stepKm / proj.kmPerPixel;
    for (let x = proj.left - Math.floor(proj.left / step) * step; x < width; x += step) {
      el('line', { class: 'grid', x1: x, y1: 0, x2: x, y2: height }, layers.base);
    }
    for (let y = proj.top - Math.floor(proj.top / step) * step; y < height; y += step) {
      el('line', { class: 'grid', x1: 0, y1: y, x2: width, y2: y }, layers.base);
    }
    const bar = el('g', { class: 'scale', transform: `translate(16 ${height - 16})` }, layers.base);
    el('line', { x1: 0, y1: 0, x2: step, y2: 0 }, bar);
    el('line', { x1: 0, y1: -4, x2: 0, y2: 4 }, bar);
    el('line', { x1: step, y1: -4, x2: step, y2: 4 }, bar);
    el('text', { x: step + 8, y: 4 }, bar).textContent = `${stepKm} km`;
    const corner = el('text', { class: 'coords', x: width - 12, y: height - 12 }, layers.base);
    const fmt = (value) => value.toFixed(3);
    corner.textContent = `service area ${fmt(area.south)}, ${fmt(area.west)} → ${fmt(area.north)}, ${fmt(area.east)}`;
  }

  function drawZones(store) {
    layers.zones.replaceChildren();
    const zones = (store.state.surge && store.state.surge.zones) || [];
    for (const zone of zones) {
      if (!Array.isArray(zone.boundary) || zone.boundary.length < 3) continue;
      const points = zone.boundary
        .map(([lat, lng]) => `${proj.x(lng).toFixed(1)},${proj.y(lat).toFixed(1)}`)
        .join(' ');
      const hex = el('polygon', {
        class: `zone${zone.multiplier > 1 ? ' zone-surging' : ''}`,
        points,
        fill: surgeColour(zone.multiplier),
        'data-zone': zone.zone,
        'data-multiplier': zone.multiplier,
        'data-demand': zone.demand,
        'data-supply': zone.supply,
      }, layers.zones);
      el('title', {}, hex).textContent = zoneLabel(zone);
    }
  }

  function place(node, lat, lng) {
    const x = proj.x(lng);
    const y = proj.y(lat);
    // CSS transform (not the attribute) so that a stylesheet transition can glide the marker.
    node.style.transform = `translate(${x.toFixed(1)}px, ${y.toFixed(1)}px)`;
    node.dataset.lat = lat.toFixed(6);
    node.dataset.lng = lng.toFixed(6);
    node.dataset.x = x.toFixed(1);
    node.dataset.y = y.toFixed(1);
  }

  function drawWasher(store, entry) {
    let node = washerNodes.get(entry.id);
    if (entry.lat === null) {
      if (node) node.remove();
      washerNodes.delete(entry.id);
      return;
    }
    if (!node) {
      node = el('g', { class: 'washer', 'data-washer-id': entry.id });
      el('circle', { class: 'halo', r: 9 }, node);
      el('circle', { class: 'body', r: 5.5 }, node);
      el('path', { class: 'heading', d: 'M0 -6 L0 -13' }, node);
      el('title', {}, node);
      washerNodes.set(entry.id, node);
      place(node, entry.lat, entry.lng);
      layers.washers.appendChild(node);
    } else {
      place(node, entry.lat, entry.lng);
    }
    const busy = store.washerBusy(entry);
    const kind = entry.stale ? 'stale' : busy ? 'busy' : 'idle';
    node.setAttribute('class', `washer washer-${kind}`);
    node.dataset.state = kind;
    const orderId = entry.orderId ?? store.state.washerOrder.get(entry.id) ?? null;
    if (orderId !== null) node.dataset.activeOrderId = orderId;
    else delete node.dataset.activeOrderId;
    const heading = node.querySelector('.heading');
    if (entry.heading === null || entry.stale) heading.setAttribute('visibility', 'hidden');
    else {
      heading.setAttribute('visibility', 'visible');
      heading.setAttribute('transform', `rotate(${Math.round(entry.heading)})`);
    }
    const eta = entry.eta !== null ? ` · ETA ${duration(entry.eta)}` : '';
    const job = orderId !== null ? ` · order #${orderId}` : '';
    node.querySelector('title').textContent = `${entry.name} · ${kind}${job}${eta}`;
  }

  function drawOrder(store, order) {
    let node = orderNodes.get(order.id);
    if (!store.state.orders.has(order.id) || order.lat === null) {
      if (node) node.remove();
      orderNodes.delete(order.id);
      return;
    }
    if (!node) {
      node = el('g', { 'data-order-id': order.id });
      el('rect', { class: 'ring', x: -10, y: -10, width: 20, height: 20, transform: 'rotate(45)' }, node);
      el('rect', { class: 'shape', x: -5.5, y: -5.5, width: 11, height: 11, transform: 'rotate(45)' }, node);
      el('title', {}, node);
      orderNodes.set(order.id, node);
      layers.orders.appendChild(node);
    }
    place(node, order.lat, order.lng);
    const selected = order.id === store.state.selectedOrderId;
    const terminal = order.terminalAt ? ' terminal' : '';
    node.setAttribute(
      'class',
      `order status-${order.status}${terminal}${selected ? ' selected' : ''}`,
    );
    node.dataset.status = order.status;
    node.querySelector('title').textContent = `Order #${order.id} · ${statusLabel(order.status)}`;
  }

  function drawLink(store, washerId) {
    const entry = store.state.washers.get(washerId);
    const orderId = entry ? entry.orderId ?? store.state.washerOrder.get(washerId) : null;
    const order = orderId != null ? store.state.orders.get(orderId) : null;
    let line = linkNodes.get(washerId);
    const show = entry && order && entry.lat !== null && order.lat !== null && !entry.stale
      && !order.terminalAt && order.status !== 'in_progress';
    if (!show) {
      if (line) line.remove();
      linkNodes.delete(washerId);
      return;
    }
    if (!line) {
      line = el('line', { class: 'link' }, layers.links);
      linkNodes.set(washerId, line);
    }
    line.setAttribute('x1', proj.x(entry.lng).toFixed(1));
    line.setAttribute('y1', proj.y(entry.lat).toFixed(1));
    line.setAttribute('x2', proj.x(order.lng).toFixed(1));
    line.setAttribute('y2', proj.y(order.lat).toFixed(1));
  }

  function drawTrack(store) {
    layers.track.replaceChildren();
    const points = store.state.track.filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lng));
    if (store.state.selectedOrderId === null || points.length === 0) return;
    const coords = points.map((p) => `${proj.x(p.lng).toFixed(1)},${proj.y(p.lat).toFixed(1)}`);
    el('polyline', { class: 'track', points: coords.join(' '), 'data-points': points.length }, layers.track);
    const start = points[0];
    el('circle', { class: 'track-start', r: 4, cx: proj.x(start.lng), cy: proj.y(start.lat) }, layers.track);
  }

  function updateSummary(store) {
    let busy = 0;
    let stale = 0;
    let shown = 0;
    for (const entry of store.state.washers.values()) {
      if (entry.lat === null) continue;
      shown += 1;
      if (entry.stale) stale += 1;
      else if (store.washerBusy(entry)) busy += 1;
    }
    let orders = 0;
    for (const order of store.state.orders.values()) if (order.lat !== null && !order.terminalAt) orders += 1;
    summary.textContent = `${shown} washers · ${busy} busy · ${stale} no signal · ${orders} open orders`;
  }

  function currentArea(store) {
    if (store.state.config.area) return store.state.config.area;
    const points = [];
    for (const w of store.state.washers.values()) if (w.lat !== null) points.push([w.lat, w.lng]);
    for (const o of store.state.orders.values()) if (o.lat !== null) points.push([o.lat, o.lng]);
    fallbackArea = areaAround(points, fallbackArea);
    return fallbackArea;
  }

  /** Draw one batch of changes (see store.takeDirty). */
  function render(store, batch) {
    const area = currentArea(store);
    emptyNote.hidden = area !== null;
    if (!area) return;
    let all = batch.all;
    const box = svg.getBoundingClientRect();
    if (box.width < 10 || box.height < 10) return; // hidden: draw when it has a size
    if (!proj || proj.area !== area || box.width !== size.width || box.height !== size.height) {
      size = { width: box.width, height: box.height };
      proj = projection(area, size.width, size.height);
      all = true;
    }
    if (all) {
      resetLayers();
      drawBase();
    }
    const { washers, orders } = store.state;
    const washerIds = all ? washers.keys() : batch.washers;
    const linkIds = new Set();
    for (const id of washerIds) {
      const entry = washers.get(id);
      if (entry) drawWasher(store, entry);
      else {
        washerNodes.get(id)?.remove();
        washerNodes.delete(id);
      }
      linkIds.add(id);
    }
    const orderIds = all ? orders.keys() : batch.orders;
    for (const id of orderIds) {
      const order = orders.get(id);
      if (order) {
        drawOrder(store, order);
        if (order.washerId !== null && order.washerId !== undefined) linkIds.add(order.washerId);
      } else {
        orderNodes.get(id)?.remove();
        orderNodes.delete(id);
      }
    }
    svg.classList.toggle('crowded', washerNodes.size > GLIDE_MAX_WASHERS);
    for (const id of linkIds) drawLink(store, id);
    if (all || batch.track || batch.selection) drawTrack(store);
    if (all || batch.surge) drawZones(store);
    updateSummary(store);
  }

  return { render };
}
