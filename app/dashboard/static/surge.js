// Surge on the dashboard: the two tiles (average surge of today's bookings, what surge added
// to today's completed washes) and the zone panel where an admin caps or pins the zone
// picked on the map. Everything comes from `surge.zones` on the admin stream; the panel
// writes with PUT /api/admin/zones/{zone}/control and the next computation applies it.
//
// Test hooks: `#surge-average` and `#surge-revenue` keep the raw figure in `data-value`;
// the panel is `#zone-panel` with `data-zone`.

import { apiFetch } from './api.js';
import { money } from './format.js';

/** The fill of a zone's hexagon: calm green at 1.0x to hot red at 2.5x and beyond. */
export function surgeColour(multiplier) {
  const heat = Math.max(0, Math.min(1, (multiplier - 1) / 1.5));
  return `hsl(${Math.round(120 - 120 * heat)} 75% 48%)`;
}

export function zoneLabel(zone) {
  const pinned = zone.pinned ? ' · pinned' : zone.capped ? ' · capped' : '';
  return `Zone ${zone.zone} · ${zone.multiplier.toFixed(1)}x${pinned} · demand ${zone.demand} · supply ${zone.supply}`;
}

export function createSurge(root, { note }) {
  const average = root.querySelector('#surge-average');
  const revenue = root.querySelector('#surge-revenue');
  const panel = root.querySelector('#zone-panel');
  const title = panel.querySelector('#zone-title');
  const facts = panel.querySelector('#zone-facts');
  const cap = panel.querySelector('#zone-cap');
  const pin = panel.querySelector('#zone-pin');
  const form = panel.querySelector('#zone-form');
  let selected = null;
  let latest = null;

  function set(cell, raw, text) {
    cell.dataset.value = String(raw);
    cell.textContent = text;
  }

  function render(summary, { currency = null } = {}) {
    if (!summary) return;
    latest = summary;
    set(average, summary.average_multiplier, `${summary.average_multiplier.toFixed(2)}x`);
    set(revenue, summary.surge_revenue_cents_today, money(summary.surge_revenue_cents_today, currency));
    if (selected) showFacts();
  }

  function showFacts() {
    const zone = latest && latest.zones.find((z) => z.zone === selected);
    facts.textContent = zone ? zoneLabel(zone) : `Zone ${selected} · 1.0x · quiet`;
  }

  function select(zone) {
    selected = zone;
    panel.hidden = false;
    panel.dataset.zone = zone;
    title.textContent = `Zone ${zone}`;
    cap.value = '';
    pin.value = '';
    showFacts();
  }

  const value = (input) => (input.value.trim() === '' ? null : Number(input.value));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!selected) return;
    try {
      const saved = await apiFetch(`/api/admin/zones/${selected}/control`, {
        method: 'PUT',
        body: { cap: value(cap), pin: value(pin) },
      });
      panel.dataset.saved = JSON.stringify({ cap: saved.cap, pin: saved.pin });
      note('surge', `Zone ${selected}: cap ${saved.cap ?? 'none'}, pin ${saved.pin ?? 'none'}`);
    } catch (error) {
      note('error', `Could not change zone ${selected}: ${error.message}`);
    }
  });
  panel.querySelector('#zone-close').addEventListener('click', () => {
    selected = null;
    panel.hidden = true;
  });

  return { render, select };
}
