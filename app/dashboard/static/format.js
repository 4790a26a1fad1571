// Formatting of numbers, durations, money and times for display. Pure functions, no DOM.

const DASH = '—';
const countFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const moneyFormat = new Intl.NumberFormat(undefined, {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);

export function count(value) {
  return isNumber(value) ? countFormat.format(value) : DASH;
}

/** Seconds as "45s", "3m 20s" or "1h 05m": operators read waits, not decimals. */
export function duration(seconds) {
  if (!isNumber(seconds)) return DASH;
  const total = Math.max(0, Math.round(seconds));
  if (total < 60) return `${total}s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes}m ${String(total % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** A 0..1 ratio as a whole percentage. */
export function percent(ratio) {
  return isNumber(ratio) ? `${Math.round(ratio * 100)}%` : DASH;
}

/** Cents as an amount; the currency symbol is shown only when the server names one. */
export function money(cents, currency) {
  if (!isNumber(cents)) return DASH;
  if (currency) {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);
  }
  return moneyFormat.format(cents / 100);
}

export function clock(value) {
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? DASH : timeFormat.format(date);
}

export function dateTime(value) {
  if (!value) return DASH;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? DASH : dateTimeFormat.format(date);
}

/** Status names as people say them ("en_route" -> "en route", "in_progress" -> "washing"). */
const STATUS_LABELS = {
  pending: 'pending',
  assigned: 'assigned',
  en_route: 'en route',
  arrived: 'arrived',
  in_progress: 'washing',
  completed: 'completed',
  cancelled: 'cancelled',
  no_show: 'no-show',
};

export function statusLabel(status) {
  return STATUS_LABELS[status] || String(status || DASH);
}

export const FORMATTERS = { count, duration, percent, money };
