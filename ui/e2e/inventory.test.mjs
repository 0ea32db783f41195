// Inventory in a real browser (issue 16, items 1 and 2): a variant whose code holds "/" opens its
// forecast chart from "What to order" and from Accuracy without blanking the app or a 404; and
// "Plan now" ends with the page refreshed by itself, with a bounded number of requests.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { BASE_URL, CONFIG, openBrowser, screenshot, settled, signIn } from "./browser.mjs";

const IDLE_MS = 10_000;
let session;
let failures;
before(async () => {
  session = await openBrowser();
  failures = [];
  session.page.on("response", (response) => {
    if (response.status() >= 400) failures.push(`${response.status()} ${response.url()}`);
  });
  await signIn(session.page, CONFIG.inventory.email, CONFIG.inventory.password);
  failures.length = 0; // the sign-in page's own 401 for /api/auth/me is expected
});
after(async () => {
  await session?.browser.close();
});

const shopPath = () => `/shops/${CONFIG.inventory.id}/inventory`;
const runCalls = (requests, from) =>
  requests.slice(from).filter((url) => new URL(url).pathname.endsWith("/inventory/run")).length;

test("Plan now shows the run, then refreshes the page once it ends, and goes quiet", { timeout: 300_000 }, async () => {
  const { page, requests, errors } = session;
  await page.goto(`${BASE_URL}${shopPath()}`);
  await settled(page);
  await page.getByTestId("run-never").waitFor();
  await page.getByTestId("empty-state").waitFor(); // nothing to order before the first plan
  const from = requests.length;
  const started = Date.now();
  await page.getByRole("button", { name: "Plan now" }).click();
  await page.getByTestId("run-last").waitFor({ timeout: 240_000 });
  const seconds = (Date.now() - started) / 1000;
  const polls = runCalls(requests, from);
  // the recommendations appear without a reload: the page refreshed its own data
  await page.getByTestId("recommendation-row").first().waitFor({ timeout: 15_000 });
  const rows = await page.getByTestId("recommendation-row").count();
  await screenshot(page, "inventory-after-plan-now");
  const quietFrom = requests.length;
  await page.waitForTimeout(IDLE_MS);
  const idle = requests.slice(quietFrom);
  console.log(
    `# plan now: run ended after ${seconds.toFixed(1)} s, ${polls} state requests (one per 2 s poll), ` +
      `${rows} recommendations shown without a reload, ${idle.length} requests in ${IDLE_MS / 1000} idle s`,
  );
  assert.ok(polls <= seconds / 2 + 5, `${polls} state requests in ${seconds.toFixed(1)} s: a polling loop`);
  assert.ok(idle.length <= 2, `requests after the run ended: ${idle.join(", ")}`);
  assert.ok(rows > 0);
  assert.deepEqual(errors, []);
  assert.deepEqual(failures, []);
});

test("a variant code with '/' opens its forecast chart from both lists", { timeout: 120_000 }, async () => {
  const { page, errors } = session;
  await page.goto(`${BASE_URL}${shopPath()}`);
  await settled(page);
  const row = page.getByTestId("recommendation-row").first();
  const link = row.locator("button").first();
  const code = (await link.innerText()).trim();
  assert.ok(code.includes("/"), `the seeded codes hold a slash: ${code}`);
  await link.click();
  const chart = page.getByTestId("forecast-chart");
  await chart.waitFor({ timeout: 20_000 });
  await chart.locator(".recharts-surface").first().waitFor(); // drawn, not blank
  assert.ok(new URL(page.url()).searchParams.get("variant") === code);
  assert.ok(Number(await chart.getAttribute("data-forecast")) > 0);
  await page.getByTestId("variant-facts").waitFor();
  await screenshot(page, "inventory-forecast-slash-code");

  await page.goto(`${BASE_URL}${shopPath()}?tab=accuracy`);
  await settled(page);
  const accuracyLink = page.getByTestId("accuracy-row").nth(1).locator("button").first();
  const other = (await accuracyLink.innerText()).trim();
  await accuracyLink.click();
  await page.getByRole("heading", { level: 4 }).filter({ hasText: other }).waitFor({ timeout: 20_000 });
  await page.getByTestId("forecast-chart").locator(".recharts-surface").first().waitFor();
  assert.equal(await page.getByTestId("page-error").count(), 0);
  assert.equal(await page.getByTestId("chart-error").count(), 0);
  console.log(`# forecast opened for ${code} and ${other}`);
  assert.deepEqual(errors, []);
  assert.deepEqual(failures, []);
});

test("suppliers page, a purchase order confirmed before it is created, and its PDF", { timeout: 120_000 }, async () => {
  const { page, errors } = session;
  await page.goto(`${BASE_URL}/shops/${CONFIG.inventory.id}/suppliers`);
  await settled(page);
  const suppliers = await page.getByTestId("supplier-row").count();
  assert.ok(suppliers >= 2, `the seeded suppliers are listed: ${suppliers}`);
  await page.getByTestId("supplier-row").first().locator("button").first().click();
  await page.getByTestId("offer-row").first().waitFor();
  await screenshot(page, "suppliers");

  await page.goto(`${BASE_URL}${shopPath()}`);
  await settled(page);
  const orderable = page.locator('[data-testid="recommendation-row"] input[type="checkbox"]:not([disabled])');
  await orderable.first().check();
  await page.getByTestId("create-purchase-orders").click();
  const confirm = page.getByTestId("confirm-orders");
  await confirm.waitFor();
  await page.waitForTimeout(400); // the modal's fade-in, for the screenshot
  await screenshot(page, "purchase-order-confirm");
  await page.getByTestId("confirm-create").click();
  await page.getByText("1 purchase order created.").waitFor();
  await page.getByRole("tab", { name: "Purchase orders" }).click();
  const files = page.getByTestId("purchase-order-files").first();
  await files.waitFor();
  const href = await files.getByText("PDF").getAttribute("href");
  const pdf = await page.evaluate(async (url) => {
    const response = await fetch(url);
    const bytes = new Uint8Array(await response.arrayBuffer());
    return { status: response.status, type: response.headers.get("content-type"), head: String.fromCharCode(...bytes.slice(0, 5)) };
  }, href);
  assert.deepEqual(pdf, { status: 200, type: "application/pdf", head: "%PDF-" });
  await screenshot(page, "purchase-orders");
  assert.deepEqual(errors, []);
  assert.deepEqual(failures, []);
});
