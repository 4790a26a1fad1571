// KPI tiles. The page declares each figure as an element with `data-kpi` (a dotted path into
// the snapshot from GET /api/admin/kpis and `kpi.tick`) and `data-format`; this fills them in
// and keeps the raw number in `data-value` for anyone (tests included) who wants it unformatted.

import { FORMATTERS, percent } from './format.js';

function lookup(snapshot, path) {
  let value = snapshot;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return null;
    value = value[key];
  }
  return value ?? null;
}

/** Figures derived on the page rather than sent by the server. */
function withDerived(snapshot) {
  const connections = snapshot.connections || {};
  const total = Object.values(connections).reduce(
    (sum, value) => sum + (typeof value === 'number' ? value : 0),
    0,
  );
  return { ...snapshot, connections: { ...connections, total } };
}

export function createKpis(root) {
  const cells = [...root.querySelectorAll('[data-kpi]')];
  const utilisationBar = root.querySelector('#utilisation-bar');
  const day = root.querySelector('#kpi-day');

  function render(snapshot, { currency = null } = {}) {
    if (!snapshot) return;
    const figures = withDerived(snapshot);
    for (const cell of cells) {
      const value = lookup(figures, cell.dataset.kpi);
      const format = FORMATTERS[cell.dataset.format] || FORMATTERS.count;
      const text = cell.dataset.format === 'money' ? format(value, currency) : format(value);
      const raw = value === null ? '' : String(value);
      if (cell.dataset.value !== raw || cell.textContent !== text) {
        const changed = cell.dataset.value !== undefined && cell.dataset.value !== raw;
        cell.dataset.value = raw;
        cell.textContent = text;
        if (changed) flash(cell);
      }
    }
    const utilisation = lookup(figures, 'washers.utilisation');
    utilisationBar.style.width = utilisation === null ? '0' : percent(Math.min(1, utilisation));
    day.textContent = snapshot.day ? `${snapshot.day} (${snapshot.timezone || 'UTC'})` : '';
    warn('sla', (lookup(figures, 'sla.breaches') || 0) > 0);
    const wait = lookup(figures, 'longest_wait_seconds');
    const threshold = lookup(figures, 'sla.assign_threshold_seconds');
    warn('unassigned', wait !== null && threshold !== null && wait > threshold);
    root.dataset.generatedAt = snapshot.generated_at || '';
  }

  function warn(tile, on) {
    root.querySelector(`[data-tile="${tile}"]`)?.classList.toggle('warn', on);
  }

  function flash(cell) {
    // Restart the highlight animation: drop the class, force a style flush, add it again.
    cell.classList.remove('flash');
    void cell.offsetWidth;
    cell.classList.add('flash');
  }

  return { render };
}
