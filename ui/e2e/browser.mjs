// Shared helpers of the browser tests: Debian's Chromium driven by playwright-core, never a downloaded browser.
import { mkdirSync } from "node:fs";
import path from "node:path";

import { chromium } from "playwright-core";

export const BASE_URL = (process.env.BASE_URL ?? "http://127.0.0.1:8000").replace(/\/$/, "");
export const CONFIG = JSON.parse(process.env.E2E_CONFIG ?? "{}");
const SCREENSHOTS = process.env.SCREENSHOT_DIR ?? path.resolve(import.meta.dirname, "../../test-artifacts/screenshots");

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-dev-shm-usage",
];

/** A fresh browser and page; `requests` records every URL the page asked for, `errors` uncaught page errors. */
export async function openBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: FLAGS,
    headless: true,
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: "en-GB" });
  // Assertions read English labels; the profile's locale (often Czech) applies until the switcher is used.
  await context.addInitScript(() => {
    if (!window.localStorage.getItem("shopops.locale")) window.localStorage.setItem("shopops.locale", "en");
  });
  const page = await context.newPage();
  const requests = [];
  const errors = [];
  page.on("request", (request) => requests.push(request.url()));
  page.on("pageerror", (error) => errors.push(String(error)));
  return { browser, page, requests, errors };
}

export async function signIn(page, email, password) {
  await page.goto(`${BASE_URL}/signin`);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/signin"), { timeout: 15_000 });
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

/** Wait until the page shows no loading state (it then shows data, the empty state or an error). */
export async function settled(page, timeout = 20_000) {
  await page.waitForFunction(() => !document.querySelector('[data-testid="loading-state"]'), null, { timeout });
}

let openapi;
/** Whether the running API has `method path` (path as in the contract, e.g. /api/snapshot-runs/{id}/retry). */
export async function hasEndpoint(method, route) {
  if (!openapi) {
    const response = await fetch(`${BASE_URL}/api/openapi.json`);
    openapi = await response.json();
  }
  const normalise = (p) => p.replace(/\{[^}]+\}/g, "{}");
  return Object.entries(openapi.paths ?? {}).some(
    ([p, ops]) => normalise(p) === normalise(route) && method.toLowerCase() in ops,
  );
}

/** Fails the scenario when an endpoint it needs is not in this API: a missing route is a defect
 * the suite must report, never a reason to skip (a skipped scenario once hid a page that 404ed). */
export async function requireEndpoints(...endpoints) {
  const absent = [];
  for (const endpoint of endpoints) {
    const [method, route] = endpoint.split(" ");
    if (!(await hasEndpoint(method, route))) absent.push(endpoint);
  }
  if (absent.length) throw new Error(`the API has no ${absent.join(", ")} (not in /api/openapi.json): the scenario cannot run`);
}

export async function setSandboxKnobs(changes) {
  const response = await fetch(`${CONFIG.sandbox_url}/_sandbox/faults`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(changes),
  });
  if (!response.ok) throw new Error(`sandbox refused knobs ${JSON.stringify(changes)}: ${await response.text()}`);
}
