// A visitor's journey through the reference SPA in Debian's chromium, driven by playwright-core.
// Usage: node journey.mjs <spa-url> <screenshot-dir> <date>; prints one JSON object: the text
// each page showed, keyed by step. Every wait is bounded, so a failure is an error, never a hang.
import { chromium } from "playwright-core";

const [spaUrl, shots, date] = process.argv.slice(2);
const WAIT = 20_000;
const texts = {};
const failures = []; // script errors and requests the browser refused (CORS among them)

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  timeout: 60_000,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
try {
  page.setDefaultTimeout(WAIT);
  page.setDefaultNavigationTimeout(WAIT);
  page.on("pageerror", (error) => failures.push(String(error)));
  page.on("requestfailed", (request) => failures.push(`${request.url()} ${request.failure()?.errorText}`));

  /** The page once it stopped loading: its main text, and a screenshot. */
  const keep = async (step, ready) => {
    await page.waitForFunction(() => document.querySelector("main")?.dataset.shown === location.hash);
    await page.locator(ready).first().waitFor();
    texts[step] = await page.locator("main").innerText();
    await page.screenshot({ path: `${shots}/${step}.png`, fullPage: true });
  };
  const search = async (lang, words) => {
    await page.selectOption("#lang", lang); // the page redraws in that language: wait for it
    await page.locator('main[aria-busy="false"]').waitFor();
    await page.fill('input[name="q"]', words);
    await page.press('input[name="q"]', "Enter");
    await page.waitForURL((url) => url.hash.includes(`q=${encodeURIComponent(words)}`));
  };

  await page.goto(spaUrl);
  await search("en", "housing");
  await keep("catalog-en", ".results .card a");
  await page.locator('[data-facet="kind"] a', { hasText: "story" }).click();
  await keep("catalog-facet", ".results .card a");
  await search("sl", "stanovanja");
  await keep("catalog-sl", ".results .card a");

  await page.locator(".results .card a").first().click();
  await keep("entry", "article h1");

  await page.click('a[href="#/events"]');
  await page.locator("main .card a").first().click();
  await page.locator("#seats").waitFor();
  texts["seats-before"] = await page.locator("#seats").innerText();
  await page.fill('input[name="name"]', "Ana Novak");
  await page.fill('input[name="email"]', "ana.novak@example.org");
  await page.check('input[name="consent"]');
  await page.click('#register button[type="submit"]');
  await keep("event", "#token");
  texts.token = await page.locator("#token").innerText();

  await page.locator("#outcome a").click();
  await keep("manage-read", "#registration .status");
  await page.click("#cancel");
  await page.locator('#registration [data-status="cancelled"]').waitFor();
  await keep("manage-cancelled", "#registration .status");

  await page.click('a[href="#/spaces"]');
  const space = await page.locator('main a[href^="#/spaces/"]').first().getAttribute("href");
  await page.goto(`${spaUrl}${space}?date=${date}`);
  await keep("availability", "#free");

  await page.click('a[href="#/cities"]');
  await page.click('a[href="#/cities/varazdin"]');
  await keep("dashboard", "#plans");
} catch (error) {
  texts.error = String(error);
  await page.screenshot({ path: `${shots}/failed.png`, fullPage: true }).catch(() => {});
} finally {
  texts.failures = failures;
  await browser.close();
}
console.log(JSON.stringify(texts));
