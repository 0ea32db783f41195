// The merchant's walk: every page, as a merchant (shop owner) and as an admin, in Czech and in
// English, on a seeded shop. A page fails on a console error, a response ≥ 400 the scenario does
// not expect, more requests while idle than 30 per 10 s, an error state, or (in Czech) English
// text left on it. Every page is screenshotted, failing or not, so a reviewer can look at them.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

import { chromium } from "playwright-core";

import { englishOnlyPhrases, englishProse } from "./catalogue.mjs";

const BASE_URL = (process.env.BASE_URL ?? "http://127.0.0.1:8000").replace(/\/$/, "");
const CONFIG = JSON.parse(process.env.E2E_CONFIG ?? "{}");
const WALK_DIR = process.env.WALK_DIR ?? path.resolve(import.meta.dirname, "../../.data/screenshots/walk");
// The rule is 30 requests in 10 idle seconds. The walk watches a shorter window at the same rate
// (IDLE_MS × 30 / 10 000) to stay fast: the defects this catches are loops that refetch many
// times a second (1 615 requests in 45 s), which pass the limit within the first second; pages
// poll every 2 s at most. WALK_IDLE_MS=10000 checks the rule's full window.
const IDLE_MS = Number(process.env.WALK_IDLE_MS ?? 3000);
const IDLE_LIMIT = Math.ceil((30 * IDLE_MS) / 10_000);

const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

const WORDS = {
  cs: { email: "E-mail", password: "Heslo", signIn: "Přihlásit", shops: "Obchody", signInTitle: "Přihlášení do shopops" },
  en: { email: "E-mail", password: "Password", signIn: "Sign in", shops: "Shops", signInTitle: "Sign in to shopops" },
};

/** Every page of the walk; `ready` is what shows the page's meaningful content. */
function pagesFor(role) {
  const a = CONFIG.shop_a.id;
  const big = CONFIG.shop_orders.id;
  const { order_code: order, snapshot_run: run } = CONFIG.walk;
  const pages = [
    { name: "shops", path: "/shops", ready: '[data-testid="shop-card"], [data-testid="empty-state"]' },
    { name: "orders", path: `/shops/${a}/orders`, ready: '[data-testid="order-row"]' },
    { name: "order-drawer", path: `/shops/${a}/orders?order=${encodeURIComponent(order)}`, ready: '[data-testid="order-items"]' },
    { name: "orders-100k", path: `/shops/${big}/orders`, ready: '[data-testid="order-row"]' },
    { name: "customers", path: `/shops/${a}/customers`, ready: '[data-testid="segment-chart"]' },
    { name: "customers-at-risk", path: `/shops/${a}/customers?tab=at-risk`, ready: '[data-testid="at-risk-table"], [data-testid="empty-state"]' },
    { name: "customers-track-record", path: `/shops/${a}/customers?tab=track-record`, ready: '[data-testid="reports-table"]' },
    { name: "inventory", path: `/shops/${a}/inventory` },
    { name: "inventory-orders", path: `/shops/${a}/inventory?tab=orders` },
    { name: "inventory-forecast", path: `/shops/${a}/inventory?tab=forecast` },
    { name: "inventory-anomalies", path: `/shops/${a}/inventory?tab=anomalies` },
    { name: "inventory-accuracy", path: `/shops/${a}/inventory?tab=accuracy` },
    { name: "snapshot-runs", path: `/shops/${a}/snapshot-runs`, ready: '[data-testid="run-status"]' },
    { name: "snapshot-run", path: `/shops/${a}/snapshot-runs/${run}`, ready: '[data-testid="run-status"]' },
    { name: "webhook-events", path: `/shops/${a}/webhook-events` },
    { name: "shop-settings", path: `/shops/${a}/settings`, ready: '[data-testid="settings-area"]' },
    { name: "suppliers", path: `/shops/${a}/suppliers` },
    { name: "channels", path: `/shops/${a}/channels` },
    { name: "feeds-resellers", path: `/shops/${a}/feeds-resellers` },
    { name: "exports", path: `/shops/${a}/exports` },
    { name: "webhook-endpoints", path: `/shops/${a}/webhook-endpoints` },
    { name: "reports", path: `/shops/${a}/reports` },
    { name: "notifications", path: "/notifications" },
    { name: "api-tokens", path: "/tokens" },
    { name: "not-found", path: `/shops/${a}/no-such-page`, ready: '[data-testid="not-found"]' },
  ];
  if (role === "admin") {
    pages.push(
      { name: "app-settings", path: "/settings", ready: '[data-testid="settings-area"]' },
      { name: "monitoring", path: "/admin/monitoring", ready: '[data-testid="check"]' },
      { name: "audit-log", path: "/admin/audit-log" },
    );
  }
  return pages;
}

/** Watches one page's traffic and console; `since()` starts a new window. */
function watch(page) {
  const state = { requests: [], bad: [], console: [] };
  page.on("request", (r) => state.requests.push({ url: r.url(), at: Date.now() }));
  page.on("response", (r) => {
    if (r.status() >= 400) state.bad.push({ url: r.url(), status: r.status(), at: Date.now() });
  });
  page.on("console", (m) => {
    if (m.type() === "error") state.console.push({ text: m.text(), at: Date.now() });
  });
  page.on("pageerror", (e) => state.console.push({ text: `uncaught: ${e}`, at: Date.now() }));
  return state;
}

const after = (list, t0) => list.filter((x) => x.at >= t0);

/** Visible text lines, leaving out raw data the merchant typed or Shoptet sent (code, pre). */
async function visibleLines(page) {
  return page.evaluate(() => {
    const clone = document.body.cloneNode(true);
    clone.querySelectorAll("pre, code, script, style, [data-raw]").forEach((el) => el.remove());
    document.body.appendChild(clone);
    clone.style.position = "absolute";
    clone.style.left = "-99999px";
    const text = clone.innerText;
    clone.remove();
    return text.split("\n").map((l) => l.trim()).filter(Boolean);
  });
}

function leftoverEnglish(lines, phrases) {
  const text = lines.join("\n");
  const found = phrases.filter((phrase) => {
    const escaped = phrase.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`(^|[^\\p{L}])${escaped}($|[^\\p{L}])`, "u").test(text);
  });
  return [...found.map((p) => `catalogue: "${p}"`), ...englishProse(lines).map((l) => `prose: "${l}"`)];
}

async function walk(role, locale) {
  const account = CONFIG.walkers[role][locale];
  const dir = path.join(WALK_DIR, `${role}-${locale}`);
  mkdirSync(dir, { recursive: true });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: FLAGS });
  // The browser speaks the profile's language, so the sign-in page (before any profile) does too.
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: locale === "cs" ? "cs-CZ" : "en-GB" });
  const page = await context.newPage();
  const seen = watch(page);
  const phrases = locale === "cs" ? englishOnlyPhrases() : [];
  const problems = [];
  const figures = [];
  const words = WORDS[locale];

  // Sign-in: the only expected error is /api/auth/me answering 401 before anyone signed in.
  let t0 = Date.now();
  await page.goto(`${BASE_URL}/shops`);
  await page.getByRole("heading", { name: words.signInTitle }).waitFor({ timeout: 20_000 });
  await page.screenshot({ path: path.join(dir, "00-signin.png") });
  await page.getByLabel(words.email).fill(account.email);
  await page.getByLabel(words.password).fill(account.password);
  await page.getByRole("button", { name: words.signIn }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/signin"), { timeout: 20_000 });
  // the profile's language right after sign-in, without a reload
  await page.getByRole("heading", { name: words.shops, level: 2 }).waitFor({ timeout: 20_000 });
  const signInBad = after(seen.bad, t0).filter((r) => !(r.status === 401 && new URL(r.url).pathname === "/api/auth/me"));
  if (signInBad.length) problems.push(`signin: unexpected responses ${JSON.stringify(signInBad)}`);
  const signInConsole = after(seen.console, t0).filter((c) => !/status of 401/.test(c.text));
  if (signInConsole.length) problems.push(`signin: console errors ${JSON.stringify(signInConsole.map((c) => c.text))}`);

  let n = 1;
  for (const spec of pagesFor(role)) {
    const name = `${String(n++).padStart(2, "0")}-${spec.name}`;
    t0 = Date.now();
    const failures = [];
    try {
      await page.goto(`${BASE_URL}${spec.path}`);
      await page.getByRole("heading", { level: 2 }).first().waitFor({ timeout: 20_000 });
      await page.waitForFunction(() => !document.querySelector('[data-testid="loading-state"]'), null, { timeout: 20_000 });
      if (spec.ready) await page.locator(spec.ready).first().waitFor({ timeout: 20_000 });
      figures.push({ page: spec.name, ms: Date.now() - t0 });
      if (await page.getByTestId("error-state").count()) {
        failures.push(`error state: ${(await page.getByTestId("error-state").first().innerText()).replace(/\s+/g, " ")}`);
      }
    } catch (error) {
      failures.push(`did not render: ${String(error).split("\n")[0]}`);
    }
    const idleFrom = Date.now();
    await page.waitForTimeout(IDLE_MS);
    const idle = after(seen.requests, idleFrom);
    if (idle.length > IDLE_LIMIT) {
      const byUrl = {};
      for (const r of idle) byUrl[new URL(r.url).pathname] = (byUrl[new URL(r.url).pathname] ?? 0) + 1;
      failures.push(`${idle.length} requests in ${IDLE_MS} idle ms (limit ${IDLE_LIMIT}): ${JSON.stringify(byUrl)}`);
    }
    const bad = after(seen.bad, t0);
    if (bad.length) failures.push(`responses ≥ 400: ${bad.map((r) => `${r.status} ${new URL(r.url).pathname}`).join(", ")}`);
    const consoleErrors = after(seen.console, t0);
    if (consoleErrors.length) failures.push(`console errors: ${consoleErrors.map((c) => c.text).join(" | ")}`);
    if (locale === "cs") {
      const english = leftoverEnglish(await visibleLines(page), phrases);
      if (english.length) failures.push(`English left in Czech: ${english.slice(0, 12).join("; ")}`);
    }
    await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
    for (const failure of failures) problems.push(`${spec.name} (${spec.path}): ${failure}`);
  }
  await browser.close();
  return { problems, figures, dir, pages: n }; // the pages after sign-in, and sign-in
}

// WALK_ONLY=merchant/cs walks one of the four (for a quick look while fixing a page)
const ONLY = process.env.WALK_ONLY;
for (const role of ["merchant", "admin"]) {
  for (const locale of ["cs", "en"]) {
    if (ONLY && ONLY !== `${role}/${locale}`) continue;
    test(`walk every page as ${role} in ${locale}`, { timeout: 600_000 }, async () => {
      const { problems, figures, dir, pages } = await walk(role, locale);
      console.log(`# walk ${role}/${locale}: ${pages} pages, screenshots in ${dir}`);
      console.log(`# walk ${role}/${locale} ms to content: ${figures.map((f) => `${f.page} ${f.ms}`).join(", ")}`);
      assert.deepEqual(problems, [], `${role}/${locale}:\n${problems.join("\n")}`);
    });
  }
}
