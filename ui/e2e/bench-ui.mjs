// Time to first meaningful content per page (run by `python -m bench.ui`, not a test): each page
// is opened REPEAT times after a warm-up visit; the time runs from the navigation's start to the
// page's content element being visible. Prints one JSON line per page.
import { chromium } from "playwright-core";

const BASE_URL = (process.env.BASE_URL ?? "http://127.0.0.1:8000").replace(/\/$/, "");
const CONFIG = JSON.parse(process.env.E2E_CONFIG ?? "{}");
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);

const shop = CONFIG.bench.shop_id;
const order = CONFIG.bench.order_code;
// [name, path, what counts as meaningful content]
const PAGES = [
  ["orders", `/shops/${shop}/orders`, '[data-testid="order-row"]'],
  ["order-drawer", `/shops/${shop}/orders?order=${encodeURIComponent(order)}`, '[data-testid="order-total"]'],
  ["orders-filtered", `/shops/${shop}/orders?status=2`, '[data-testid="order-row"]'],
  ["customers", `/shops/${shop}/customers`, '[data-testid="segment-chart"]'],
  ["customers-at-risk", `/shops/${shop}/customers?tab=at-risk`, '[data-testid="at-risk-table"] tbody tr'],
  ["customers-track-record", `/shops/${shop}/customers?tab=track-record`, '[data-testid="reports-table"]'],
  ["inventory", `/shops/${shop}/inventory`, 'h2 ~ *, [data-testid="empty-state"]'],
  ["snapshot-runs", `/shops/${shop}/snapshot-runs`, '[data-testid="empty-state"], [data-testid="run-status"]'],
  ["webhook-events", `/shops/${shop}/webhook-events`, '[data-testid="empty-state"], [data-testid="webhook-event"]'],
  ["shop-settings", `/shops/${shop}/settings`, '[data-testid="settings-area"]'],
  ["shops", "/shops", '[data-testid="shop-card"]'],
  ["notifications", "/notifications", '[data-testid="empty-state"], [data-testid="notification"]'],
  ["app-settings", "/settings", '[data-testid="settings-area"]'],
  ["monitoring", "/admin/monitoring", '[data-testid="check"]'],
];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
});
const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "en-GB" });
const page = await context.newPage();
await page.goto(`${BASE_URL}/signin`);
await page.getByLabel("E-mail").fill(CONFIG.admin.email);
await page.getByLabel("Password").fill(CONFIG.admin.password);
await page.getByRole("button", { name: "Sign in" }).click();
await page.waitForURL((url) => !url.pathname.startsWith("/signin"), { timeout: 20_000 });

async function timeTo(path, selector) {
  await page.goto("about:blank");
  const started = Date.now();
  await page.goto(`${BASE_URL}${path}`);
  await page.locator(selector).first().waitFor({ state: "visible", timeout: 30_000 });
  return Date.now() - started;
}

for (const [name, path, selector] of PAGES) {
  try {
    const cold = await timeTo(path, selector); // first visit: API caches cold for this page
    const warm = [];
    for (let i = 0; i < REPEAT; i++) warm.push(await timeTo(path, selector));
    warm.sort((x, y) => x - y);
    console.log(JSON.stringify({ page: name, path, cold_ms: cold, median_ms: warm[Math.floor(warm.length / 2)], max_ms: warm.at(-1) }));
  } catch (error) {
    console.log(JSON.stringify({ page: name, path, error: String(error).split("\n")[0] }));
  }
}
await browser.close();
