// Screenshots of a running meshmap (`make run`) to look at: the desktop app, a 390×844 phone, and
// the embedding example, each once its first view is complete ("meshmap:complete").
//   node bench/web/screenshots.mjs <app URL> [<host page URL>] [<output directory>]
import { launch, withPage } from "./browser.mjs";

const [app, host, out = "target/screenshots"] = process.argv.slice(2);
if (!app) {
  console.error("usage: node bench/web/screenshots.mjs <app URL> [<host page URL>] [<output directory>]");
  process.exit(2);
}
const { mkdirSync } = await import("node:fs");
mkdirSync(out, { recursive: true });
const shots = [
  ["desktop", new URL("#3/30/10", app).href, { width: 1280, height: 800 }],
  ["phone", new URL("#2/20/0", app).href, { width: 390, height: 844 }],
];
if (host) shots.push(["embedding", host, { width: 1280, height: 1000 }]);
const browser = await launch();
try {
  for (const [name, url, viewport] of shots) {
    await withPage(browser, viewport, async (page, errors) => {
      await page.goto(url);
      // The host page has two maps: wait until both have drawn their first view.
      const maps = name === "embedding" ? 2 : 1;
      await page.waitForFunction((n) => performance.getEntriesByName("meshmap:complete").length >= n, maps, { timeout: 30000 })
        .catch(() => errors.push("the first view did not complete within 30 s"));
      await page.waitForTimeout(500); // fade-in of the last tiles
      await page.screenshot({ path: `${out}/${name}.png` });
      if (name === "desktop") {
        // The keyboard: Tab into the map and on to the first feature drawn on a canvas (real key
        // presses), then Enter on it.
        await page.focus(".leaflet-container");
        for (let i = 0; i < 30 && !(await page.evaluate(() => document.activeElement?.classList.contains("meshmap-focus-stop"))); i++) {
          await page.keyboard.press("Tab");
        }
        const label = await page.evaluate(() => document.activeElement?.getAttribute("aria-label"));
        await page.screenshot({ path: `${out}/keyboard.png` });
        await page.keyboard.press("Enter");
        await page.waitForTimeout(400);
        await page.screenshot({ path: `${out}/keyboard-enter.png` });
        console.log(`${out}/keyboard.png, keyboard-enter.png  (focused: ${label})`);
      }
      console.log(`${out}/${name}.png${errors.length ? `  (errors: ${errors.join("; ")})` : ""}`);
    }, new URL(app).origin);
  }
} finally {
  await browser.close();
}
