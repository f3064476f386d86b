// JavaScript helpers for the browser tests (tests/web.rs), in one module: each inline snippet
// would be a module file of its own, and wasm-bindgen-test's server answers only a few requests at
// a time on a 2-core machine (six modules requested at once hung the browser tests).

// A stand-in for the tile server: `window.fetch` answers URLs containing a registered key from
// memory (or fails, or hangs until aborted) and records each request's URL and version header.
let stub = null;
export function install_fetch_stub() {
  if (stub) return;
  stub = { real: window.fetch, bodies: new Map(), mode: 'ok', requests: [], aborted: 0 };
  window.fetch = function (input, init) {
    const request = input instanceof Request ? input : new Request(input, init);
    const key = [...stub.bodies.keys()].find((k) => request.url.includes(k));
    if (key === undefined) return stub.real.call(window, input, init);
    stub.requests.push({ url: request.url, version: request.headers.get('X-App-Version'), at: performance.now() });
    if (stub.mode === 'hang') {
      return new Promise((_, reject) => request.signal.addEventListener('abort', () => {
        stub.aborted += 1;
        reject(new DOMException('The operation was aborted.', 'AbortError'));
      }));
    }
    // 'redirect': what a server's 302 gives fetch(). A request made with `redirect: 'manual'`
    // sees an opaque redirect (type "opaqueredirect", status 0, no body: the browser builds no
    // other kind for it, so the stand-in sets those fields); any other request is followed, as the
    // browser would, and gets the body from where it was sent.
    if (stub.mode === 'redirect' && request.redirect === 'manual') {
      const moved = new Response(null, { status: 200 });
      Object.defineProperty(moved, 'type', { value: 'opaqueredirect' });
      Object.defineProperty(moved, 'status', { value: 0 });
      Object.defineProperty(moved, 'ok', { value: false });
      return Promise.resolve(moved);
    }
    if (stub.mode === 'down') return Promise.resolve(new Response('upstream connect error', { status: 503 }));
    if (stub.mode.startsWith('busy ')) {
      const headers = { 'Retry-After': stub.mode.slice(5) };
      return Promise.resolve(new Response('slow down', { status: 503, headers }));
    }
    const body = stub.bodies.get(key);
    if (body === null) return Promise.resolve(new Response(null, { status: 204 }));
    // 'gated': the first half of the body at once (with the whole length in Content-Length),
    // the rest once the test calls stub_release().
    if (stub.mode === 'gated') {
      const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
      const half = Math.floor(bytes.length / 2);
      const stream = new ReadableStream({
        start(controller) {
          controller.enqueue(bytes.slice(0, half));
          stub.release = () => { controller.enqueue(bytes.slice(half)); controller.close(); };
        },
      });
      return Promise.resolve(new Response(stream, { status: 200, headers: { 'Content-Length': String(bytes.length) } }));
    }
    // 'open': the body, then the connection stays open (a live stream) until aborted.
    if (stub.mode === 'open') {
      const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
      const stream = new ReadableStream({ start(controller) { controller.enqueue(bytes); } });
      return Promise.resolve(new Response(stream, { status: 200 }));
    }
    return Promise.resolve(new Response(body, { status: 200 }));
  };
}
export function remove_fetch_stub() { if (stub) { window.fetch = stub.real; stub = null; } }
export function stub_serve(key, body) { stub.bodies.set(key, body); }
export function stub_serve_base64(key, text) { stub.bodies.set(key, Uint8Array.from(atob(text), (c) => c.charCodeAt(0))); }
export function stub_mode(mode) { stub.mode = mode; }
export function stub_release() { if (stub.release) stub.release(); }

// Errors the page reports: uncaught exceptions, unhandled rejections, console.error calls.
let pageErrors = null;
export function count_page_errors() {
  if (pageErrors) return;
  pageErrors = { list: [], error: console.error };
  const note = (what) => pageErrors.list.push(String(what));
  pageErrors.onError = (e) => note(e.message || e.error);
  pageErrors.onRejection = (e) => note(e.reason);
  window.addEventListener('error', pageErrors.onError);
  window.addEventListener('unhandledrejection', pageErrors.onRejection);
  console.error = function (...args) { note(args.join(' ')); return pageErrors.error.apply(console, args); };
}
export function page_errors() { return pageErrors ? pageErrors.list.join('\n') : ''; }
export function stop_counting_page_errors() {
  if (!pageErrors) return;
  window.removeEventListener('error', pageErrors.onError);
  window.removeEventListener('unhandledrejection', pageErrors.onRejection);
  console.error = pageErrors.error;
  pageErrors = null;
}
export function stub_requests() { return stub.requests.length; }
export function stub_aborted() { return stub.aborted; }
export function stub_versions() { return stub.requests.map((r) => String(r.version)); }
export function stub_urls() { return stub.requests.map((r) => r.url); }
export function stub_times() { return stub.requests.map((r) => r.at); }
export function painted_share(canvas) {
  // Read through a copy: a raster tile's canvas has a bitmaprenderer context, not a 2d one.
  const copy = document.createElement('canvas');
  copy.width = canvas.width;
  copy.height = canvas.height;
  copy.getContext('2d').drawImage(canvas, 0, 0);
  const data = copy.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted += 1;
  return painted / (data.length / 4);
}

// A click with a pointer type (mouse, touch, pen), as a browser sends it.
export function pointer_click(target, x, y, pointerType) {
  for (const kind of ['mousedown', 'mouseup']) {
    target.dispatchEvent(new MouseEvent(kind, { bubbles: true, cancelable: true, clientX: x, clientY: y, button: 0, buttons: 1 }));
  }
  target.dispatchEvent(new PointerEvent('click', { bubbles: true, cancelable: true, clientX: x, clientY: y, pointerType }));
}

// Leak detectors (see the leak test in tests/web.rs).
let tracker = null;
const watched = [];
export function track_listeners(targets) {
  if (!tracker) {
    tracker = { targets: new Set(), live: new Map() };
    const add = EventTarget.prototype.addEventListener;
    const remove = EventTarget.prototype.removeEventListener;
    const capture = (o) => (typeof o === 'boolean' ? o : !!(o && o.capture));
    const slot = (target, type, options) => {
      let byType = tracker.live.get(target);
      if (!byType) tracker.live.set(target, (byType = new Map()));
      const key = type + (capture(options) ? ' (capture)' : '');
      let fns = byType.get(key);
      if (!fns) byType.set(key, (fns = new Set()));
      return fns;
    };
    EventTarget.prototype.addEventListener = function (type, fn, options) {
      if (fn && tracker.targets.has(this)) slot(this, type, options).add(fn);
      return add.call(this, type, fn, options);
    };
    EventTarget.prototype.removeEventListener = function (type, fn, options) {
      if (fn && tracker.targets.has(this)) slot(this, type, options).delete(fn);
      return remove.call(this, type, fn, options);
    };
  }
  for (const target of targets) tracker.targets.add(target);
}
export function tracked_listeners() {
  const counts = [];
  for (const [target, byType] of tracker.live) {
    for (const [type, fns] of byType) if (fns.size) counts.push(`${target.nodeName ?? 'window'} ${type}: ${fns.size}`);
  }
  return counts.sort().join(', ');
}
export function watch(element) { watched.push(new WeakRef(element)); }
export function watched_alive() { return watched.filter((ref) => ref.deref() !== undefined).length; }
export function watched_alive_at() { return watched.map((ref, i) => (ref.deref() !== undefined ? i : -1)).filter((i) => i >= 0).join(','); }
export function can_collect_garbage() { return typeof gc === 'function' && !!performance.memory; }
export function collect_garbage() { gc(); }
export function js_heap_bytes() { return performance.memory.usedJSHeapSize; }

// A stand-in for `window.matchMedia` whose query lists the test can fire `change` on: each
// returned list is an EventTarget that matches nothing, kept with its query.
let realMatchMedia = null;
const mediaLists = [];
export function install_media_stand_in() {
  if (realMatchMedia) return;
  realMatchMedia = window.matchMedia;
  mediaLists.length = 0;
  window.matchMedia = (query) => {
    const list = Object.assign(new EventTarget(), { matches: false, media: query, watching: new Set() });
    // Its "change" listeners, counted here (not by meshmap's own bookkeeping).
    const add = list.addEventListener.bind(list);
    const remove = list.removeEventListener.bind(list);
    list.addEventListener = (type, f, o) => { if (type === 'change') list.watching.add(f); add(type, f, o); };
    list.removeEventListener = (type, f, o) => { if (type === 'change') list.watching.delete(f); remove(type, f, o); };
    mediaLists.push(list);
    return list;
  };
}
export function remove_media_stand_in() {
  if (realMatchMedia) { window.matchMedia = realMatchMedia; realMatchMedia = null; }
}
export function media_queries_with(text) {
  return mediaLists.filter((l) => l.media.includes(text)).length;
}
export function media_listeners_with(text) {
  return mediaLists.filter((l) => l.media.includes(text)).reduce((n, l) => n + l.watching.size, 0);
}
export function fire_last_media_change(text) {
  const list = mediaLists.filter((l) => l.media.includes(text)).pop();
  list.dispatchEvent(new Event('change'));
}

// Fullscreen as the browser would do it after a real click (a script's click is no user
// gesture, so the real API refuses it): requests are recorded and answered with
// `fullscreenchange`, as the browser answers them.
let fullscreen = null;
export function install_fullscreen_stand_in() {
  if (fullscreen) return;
  fullscreen = { element: null, requested: [], real: Element.prototype.requestFullscreen, realExit: document.exitFullscreen };
  Object.defineProperty(document, 'fullscreenElement', { configurable: true, get: () => fullscreen.element });
  Element.prototype.requestFullscreen = function () {
    fullscreen.requested.push(this);
    fullscreen.element = this;
    document.dispatchEvent(new Event('fullscreenchange'));
    return Promise.resolve();
  };
  document.exitFullscreen = function () {
    fullscreen.element = null;
    document.dispatchEvent(new Event('fullscreenchange'));
    return Promise.resolve();
  };
}
export function fullscreen_element() { return fullscreen.element; }
export function remove_fullscreen_stand_in() {
  if (!fullscreen) return;
  Element.prototype.requestFullscreen = fullscreen.real;
  document.exitFullscreen = fullscreen.realExit;
  delete document.fullscreenElement;
  fullscreen = null;
}

// The Geolocation API answering with a position or an error code (1 denied, 2 unavailable,
// 3 timeout), as the browser would after the user's answer.
export function set_geolocation(answer) {
  Object.defineProperty(navigator, 'geolocation', {
    configurable: true,
    get: () => ({
      getCurrentPosition(ok, fail) {
        setTimeout(() => (answer.code ? fail({ code: answer.code, message: 'stand-in' }) : ok({ coords: answer })), 0);
      },
    }),
  });
}
export function remove_geolocation_stand_in() { delete navigator.geolocation; }
