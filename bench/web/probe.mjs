import { launch, withPage } from "./browser.mjs";
const [url] = process.argv.slice(2);
const browser = await launch();
for (let i = 0; i < 3; i++) {
await withPage(browser, { width: 1280, height: 800 }, async (page, errors) => {
  await page.addInitScript(() => {
    window.__log = [];
    new MutationObserver((list) => {
      for (const m of list) {
        if (m.type === "attributes" && m.attributeName === "class" && m.target.classList.contains("leaflet-tile-loaded") && !m.oldValue?.includes("leaflet-tile-loaded")) {
          window.__log.push([Math.round(performance.now()), "loaded " + (m.target.closest(".leaflet-layer")?.className ?? m.target.closest(".leaflet-pane")?.className ?? "?")]);
        }
        if (m.type === "attributes" && m.attributeName === "data-features" && m.target.closest(".meshmap-shapes")) {
          const n = Number(m.target.dataset.features);
          window.__log.push([Math.round(performance.now()), "tile " + n]);
        }
      }
    }).observe(document, { subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ["data-features", "class"] });
    performance.mark = ((mark) => function (name, ...rest) { window.__log.push([Math.round(performance.now()), "mark " + name]); return mark.call(this, name, ...rest); })(performance.mark);
  });
  await page.goto(url);
  await page.waitForFunction(() => performance.getEntriesByName("meshmap:complete").length, null, { timeout: 20000 });
  const log = await page.evaluate(() => [...window.__log, ...performance.getEntriesByType("resource").filter((e) => e.name.includes("countries")).map((e) => [Math.round(e.responseEnd), "geojson end"]), [Math.round(performance.getEntriesByName("meshmap:complete")[0].startTime), "complete"]].sort((a, b) => a[0] - b[0]));
  console.log(JSON.stringify(log));
});
}
await browser.close();
