// Batches redraws: however many events arrive, the page draws at most once per FRAME_MS, and
// only on an animation frame (none at all while nothing changed or the tab is hidden). This is
// what keeps hundreds of washers moving once a second cheap.

const FRAME_MS = 250;

export function createRenderLoop(draw) {
  let scheduled = false;
  let lastFrame = -Infinity;

  function frame() {
    scheduled = false;
    lastFrame = performance.now();
    try {
      draw();
    } catch (error) {
      console.error('dashboard render failed', error);
    }
  }

  return {
    /** Ask for a redraw; repeated calls before it happens cost nothing. */
    request() {
      if (scheduled) return;
      scheduled = true;
      const wait = Math.max(0, FRAME_MS - (performance.now() - lastFrame));
      setTimeout(() => requestAnimationFrame(frame), wait);
    },
  };
}
