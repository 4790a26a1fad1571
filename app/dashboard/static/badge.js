// The connection badge: `#connection-state` carries the state as text, CSS class and
// `data-state` (connecting, live, reconnecting, resumed, reset).

const TITLES = {
  connecting: 'Opening the live stream…',
  live: 'Receiving live events',
  reconnecting: 'Connection lost; reconnecting and resuming from the last event',
  resumed: 'Reconnected; missed events were replayed',
  reset: 'Reconnected, but history was lost; state reloaded from the server',
};

export function renderBadge(node, state) {
  node.dataset.state = state;
  node.title = TITLES[state] || state;
  node.querySelector('.conn-label').textContent = state;
}
