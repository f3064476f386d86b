// Loaded before leaflet.js on the vector tile pages: while `window.__syncFrames` is true (the
// per-tile draw timing, tiles-common.js), an animation frame callback runs at once (in a
// microtask) instead of at the next frame. Leaflet.VectorGrid calls a tile's `done` (and
// Leaflet's canvas renderer draws) through requestAnimationFrame, so without this its per-tile
// time is one frame's wait, not its decoding and drawing. Every page gets the same treatment.
(() => {
  const real = window.requestAnimationFrame.bind(window);
  window.__syncFrames = false;
  window.requestAnimationFrame = (callback) => {
    if (!window.__syncFrames) return real(callback);
    queueMicrotask(() => callback(performance.now()));
    return 0;
  };
})();
