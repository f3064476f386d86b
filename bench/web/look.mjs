// Ad-hoc look at a running app: node bench/web/look.mjs <url> <out.png> [actions JSON]
import { launch, withPage } from "./browser.mjs";
const [url, out, actions = "[]", w = "1280", h = "800"] = process.argv.slice(2);
const browser = await launch();
try {
  await withPage(browser, { width: Number(w), height: Number(h) }, async (page, errors) => {
    await page.goto(url);
    await page.waitForFunction(() => performance.getEntriesByName("meshmap:complete").length >= 1, null, { timeout: 30000 }).catch(() => errors.push("no complete"));
    for (const [kind, ...args] of JSON.parse(actions)) {
      if (kind === "click") await page.mouse.click(args[0], args[1]);
      if (kind === "move") await page.mouse.move(args[0], args[1]);
      if (kind === "label") await page.getByLabel(args[0]).click();
      if (kind === "wait") await page.waitForTimeout(args[0]);
      if (kind === "key") await page.keyboard.press(args[0]);
      if (kind === "eval") console.log(await page.evaluate(args[0]));
    }
    await page.waitForTimeout(500);
    await page.screenshot({ path: out });
    console.log(out, errors.join("\n"));
  }, new URL(url).origin);
} finally { await browser.close(); }
