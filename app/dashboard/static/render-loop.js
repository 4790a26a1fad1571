// Batches redraws: however many events arrive, the page draws at most once per FRAME_MS, and
// only on an animation frame (none at all while nothing changed or the tab is hidden). This is
// what keeps hundreds of washers moving once a second cheap.
//
// It also keeps a few render statistics (read through `stats`), so whether the page stays
// smooth can be measured in a real browser (bench/dashboard.py) rather than guessed. They are
// cheap on purpose: two performance.now() calls and a few additions per frame, and a fixed
// ring of recent durations instead of a growing list, so a console left open for days does not
// grow. Only the time spent in `draw` is counted (our JavaScript and the DOM writes it makes);
// the browser's style, layout and paint that follow are not visible from here.

const FRAME_MS = 250;
const RECENT_FRAMES = 256; // about a minute at four frames a second: enough for a p95

export function createRenderLoop(draw) {
  let scheduled = false;
  let lastFrame = -Infinity;
  let frames = 0;
  let failures = 0;
  let totalMs = 0;
  let maxMs = 0;
  // recent[(frames - 1) % RECENT_FRAMES] is the newest duration
  const recent = new Float64Array(RECENT_FRAMES);

  function frame() {
    scheduled = false;
    const started = performance.now();
    lastFrame = started;
    try {
      draw();
    } catch (error) {
      failures += 1;
      console.error('dashboard render failed', error);
    }
    const spent = performance.now() - started;
    recent[frames % RECENT_FRAMES] = spent;
    frames += 1;
    totalMs += spent;
    if (spent > maxMs) maxMs = spent;
  }

  return {
    /** Ask for a redraw; repeated calls before it happens cost nothing. */
    request() {
      if (scheduled) return;
      scheduled = true;
      const wait = Math.max(0, FRAME_MS - (performance.now() - lastFrame));
      setTimeout(() => requestAnimationFrame(frame), wait);
    },

    /** A copy of the statistics since the page loaded (changing it changes nothing):
     * frames drawn, failed draws, total / mean / max draw time in ms, and the p95 and the
     * durations (oldest first) of the last `recent.length` frames. A reader that samples
     * more often than every RECENT_FRAMES frames can rebuild every frame's duration from
     * `frames` and `recent`. */
    get stats() {
      const kept = Math.min(frames, RECENT_FRAMES);
      const ordered = [];
      for (let i = frames - kept; i < frames; i += 1) ordered.push(recent[i % RECENT_FRAMES]);
      const sorted = [...ordered].sort((a, b) => a - b);
      return Object.freeze({
        frames,
        failures,
        totalMs,
        meanMs: frames ? totalMs / frames : 0,
        maxMs,
        recentP95Ms: kept ? sorted[Math.min(kept - 1, Math.ceil(0.95 * kept) - 1)] : 0,
        recent: Object.freeze(ordered),
      });
    },
  };
}
