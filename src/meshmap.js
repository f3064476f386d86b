// The JavaScript meshmap's wasm imports (the few helpers wasm-bindgen cannot express), in one
// module: each module is a file the page fetches before the map can start, so there is one.

// Leaflet calls `createTile(coords, done)` and only waits for `done` when the function declares
// two parameters (`createTile.length`); wasm-bindgen closures declare none, so this wrapper does.
export function grid_layer_with(options, createTile) {
  const layer = new L.GridLayer(options);
  layer.createTile = function (coords, done) { return createTile(coords, done); };
  return layer;
}

// Leaflet measures its container once and on window resizes only; an embedded map whose host
// resizes or reveals the element would keep its old size (grey areas, tiles missing). A map not
// moved since its view was set keeps that view exactly: invalidateSize forgets the centre Leaflet
// was given (even when the size is the same), and works it out from whole pixels after (half a
// pixel off), so it is given back.
export function follow_size(element, map) {
  const observer = new ResizeObserver(() => {
    const given = map._lastCenter && !map._moved() ? map._lastCenter : null;
    map.invalidateSize();
    if (!given) return;
    if (map._moved()) map.setView(given, map.getZoom(), { reset: true });
    else map._lastCenter = given;
  });
  observer.observe(element);
  return () => observer.disconnect();
}

// Runs a tile's drawing commands (src/tile_plan.rs opcodes) on its canvas: one call from wasm per
// tile, not one per vertex.
export function draw_commands(ctx, c, style, labels, texts) {
  const alpha = (a) => { if (ctx.globalAlpha !== a) ctx.globalAlpha = a; };
  ctx.lineJoin = 'round';
  ctx.lineCap = 'round';
  ctx.fillStyle = style.fill;
  ctx.strokeStyle = style.color;
  ctx.lineWidth = style.width;
  for (let i = 0; i < c.length; ) {
    switch (c[i]) {
      case 0: ctx.beginPath(); i += 1; break;
      case 1: ctx.moveTo(c[i + 1], c[i + 2]); i += 3; break;
      case 2: ctx.lineTo(c[i + 1], c[i + 2]); i += 3; break;
      case 3: ctx.closePath(); i += 1; break;
      case 4: alpha(style.fillOpacity); ctx.fill(); i += 1; break;
      case 5: alpha(style.opacity); ctx.stroke(); i += 1; break;
      case 6: ctx.moveTo(c[i + 1] + c[i + 3], c[i + 2]); ctx.arc(c[i + 1], c[i + 2], c[i + 3], 0, 2 * Math.PI); i += 4; break;
      default: i = c.length;
    }
  }
  if (texts.length) {
    alpha(1);
    ctx.font = style.font;
    ctx.textBaseline = 'middle';
    ctx.lineWidth = style.haloWidth;
    ctx.strokeStyle = 'rgba(255, 255, 255, 0.9)';
    ctx.fillStyle = '#222';
    for (let i = 0; i < texts.length; i++) ctx.strokeText(texts[i], labels[2 * i], labels[2 * i + 1]);
    for (let i = 0; i < texts.length; i++) ctx.fillText(texts[i], labels[2 * i], labels[2 * i + 1]);
  }
}

// Web Mercator y (src/math.rs `mercator_y`) of every latitude in place: one call per part of a
// shape, not two calls into Math per vertex.
export function mercator_many(values) {
  for (let i = 0; i < values.length; i++) {
    const s = Math.sin(Math.min(85.05112877980659, Math.max(-85.05112877980659, values[i])) * (Math.PI / 180));
    values[i] = Math.min(1, Math.max(0, 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)));
  }
}
