// meshmap for host pages: one module script gives the `meshmap.mount()` API and the
// <meshmap-view> element. scripts/postbuild.py fills in the bundle's file names below.
//
//   <script type="module" src="https://maps.example.com/embed.js"></script>
//   <meshmap-view center="48.85,2.35" zoom="5" style="height: 400px"></meshmap-view>
//
// Everything (Leaflet, styles, wasm, config.json by default) loads from the origin this file
// comes from, so the host page needs nothing else.
const ASSETS = __MESHMAP_ASSETS__;
const base = new URL(".", import.meta.url);
let started = null;

function addStylesheet(href) {
  if ([...document.styleSheets].some((s) => s.href === href)) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  // A CORS request carries Origin, by which the gateway serves embedded maps from one version.
  link.crossOrigin = "anonymous";
  link.href = href;
  document.head.append(link);
}

function addScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.crossOrigin = "anonymous";
    script.onload = resolve;
    script.onerror = () => reject(new Error(`meshmap: could not load ${src}`));
    document.head.append(script);
  });
}

/** Loads Leaflet, the styles and the wasm module, once per page. */
function start() {
  started ??= (async () => {
    for (const css of ASSETS.css) addStylesheet(new URL(css, base).href);
    // <meshmap-view> is a block with a height unless the host says otherwise (:where() has no
    // specificity, so any host rule wins).
    const defaults = document.createElement("style");
    defaults.textContent = ":where(meshmap-view) { display: block; position: relative; height: 400px; }";
    document.head.prepend(defaults);
    if (!window.L) await addScript(new URL(ASSETS.leaflet, base).href);
    const glue = await import(new URL(ASSETS.glue, base).href);
    await glue.default({ module_or_path: new URL(ASSETS.wasm, base) });
    return glue;
  })();
  return started;
}

/**
 * Mounts a map into `element`. options: { config } or { configUrl } (default: the meshmap origin's
 * config.json), view: { center: [lat, lng], zoom }, and callbacks onReady, onLoad, onMove,
 * onFeatureClick, onError. Resolves to a handle with setView, getView, addGeoJson, removeOverlay,
 * fitBounds, leafletMap, on, destroy.
 */
export async function mount(element, options = {}) {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`meshmap.mount(element, options): options must be an object such as { configUrl: "…/config.json" }, not ${JSON.stringify(options)}`);
  }
  const glue = await start();
  const settings = { ...options };
  // Where meshmap is served from: only a page of that origin has meshmap's cookies, so only there
  // may its version cookie become X-App-Version.
  settings.meshmapOrigin = base.origin;
  if (settings.config === undefined) {
    settings.configUrl = new URL(settings.configUrl ?? "config.json", settings.configUrl ? document.baseURI : base).href;
  }
  return glue.mount(element, settings);
}

/** Listeners meshmap has attached on this page (0 once every map is destroyed). */
export async function liveListeners() {
  return (await start()).liveListeners();
}

function parseCenter(text) {
  const parts = (text ?? "").split(",").map(Number);
  return parts.length === 2 && parts.every(Number.isFinite) ? parts : null;
}

/** <meshmap-view config="…" center="lat,lng" zoom="z" controls="fullscreen locate legend" sync-hash>:
 * a map without script. */
class MeshmapView extends HTMLElement {
  static observedAttributes = ["center", "zoom"];

  async connectedCallback() {
    const generation = (this._generation = (this._generation ?? 0) + 1);
    const center = parseCenter(this.getAttribute("center"));
    const zoom = Number(this.getAttribute("zoom"));
    const options = {
      syncUrlHash: this.hasAttribute("sync-hash"),
      onReady: (view) => this.dispatchEvent(new CustomEvent("meshmap-ready", { detail: view, bubbles: true })),
      onLoad: () => this.dispatchEvent(new CustomEvent("meshmap-load", { bubbles: true })),
      onMove: (view) => this.dispatchEvent(new CustomEvent("meshmap-move", { detail: view, bubbles: true })),
      onFeatureClick: (properties) => this.dispatchEvent(new CustomEvent("meshmap-featureclick", { detail: properties, bubbles: true })),
      onError: (error) => this.dispatchEvent(new CustomEvent("meshmap-error", { detail: error, bubbles: true })),
    };
    if (this.hasAttribute("config")) options.configUrl = this.getAttribute("config");
    // controls="fullscreen locate legend": these on (the others as the config has them).
    if (this.hasAttribute("controls")) {
      options.controls = {};
      for (const name of this.getAttribute("controls").split(/[\s,]+/).filter(Boolean)) options.controls[name] = true;
    }
    if (center && this.hasAttribute("zoom") && Number.isFinite(zoom)) options.view = { center, zoom };
    try {
      const map = await mount(this, options);
      // Removed from the page while loading: undo at once.
      if (generation !== this._generation || !this.isConnected) map.destroy();
      else this.map = map;
    } catch (error) {
      console.error("meshmap:", error);
      this.dispatchEvent(new CustomEvent("meshmap-error", { detail: { what: "mount", message: String(error) }, bubbles: true }));
    }
  }

  disconnectedCallback() {
    this._generation = (this._generation ?? 0) + 1;
    this.map?.destroy();
    this.map = undefined;
  }

  attributeChangedCallback() {
    const center = parseCenter(this.getAttribute("center"));
    const zoom = Number(this.getAttribute("zoom"));
    if (this.map?.ready && center && Number.isFinite(zoom)) this.map.setView(center[0], center[1], zoom);
  }
}

if (!customElements.get("meshmap-view")) customElements.define("meshmap-view", MeshmapView);
window.meshmap ??= { mount, liveListeners };
