import init, * as bindings from '/meshmap-a2f95689b1d22b16.js';
const wasm = await init({ module_or_path: '/meshmap-a2f95689b1d22b16_bg.wasm' });


window.wasmBindings = bindings;


dispatchEvent(new CustomEvent("TrunkApplicationStarted", {detail: {wasm}}));
