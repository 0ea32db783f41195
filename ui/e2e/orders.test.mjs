// Scroll 100 000 orders to the end: cursor pages only (no offset), and a bounded DOM all the way.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { BASE_URL, CONFIG, requireEndpoints, openBrowser, screenshot, settled, signIn } from "./browser.mjs";

const MAX_ROWS = 200;
let session;
before(async () => {
  session = await openBrowser();
});
after(async () => {
  await session?.browser.close();
});

test("scroll an orders list of 100 000 rows to the end", { timeout: 240_000 }, async () => {
  await requireEndpoints("GET /api/shops/{shop_id}/orders");
  const { page, requests, errors } = session;
  const { member, shop_orders } = CONFIG;
  await signIn(page, member.email, member.password);
  await page.goto(`${BASE_URL}/shops/${shop_orders.id}/orders`);
  await settled(page);
  const scroller = page.getByTestId("orders-scroll");
  await scroller.waitFor();
  await screenshot(page, "orders");

  const expected = shop_orders.orders;
  let maxRows = 0;
  let loaded = 0;
  let chunks = 0;
  const started = Date.now();
  for (;;) {
    // Up to `rounds` scroll-to-the-end steps inside the page, so no round trip to the test slows them.
    const state = await scroller.evaluate(async (el, rounds) => {
      let maxRows = 0;
      for (let round = 0; round < rounds; round += 1) {
        const before = Number(el.dataset.loaded);
        el.scrollTop = el.scrollHeight;
        const deadline = Date.now() + 20_000;
        while (Number(el.dataset.loaded) <= before && el.dataset.hasMore === "yes") {
          if (Date.now() > deadline) throw new Error(`no next page after ${before} orders within 20 s`);
          await new Promise((resolve) => setTimeout(resolve, 5));
          maxRows = Math.max(maxRows, document.querySelectorAll('[data-testid="order-row"]').length);
        }
        maxRows = Math.max(maxRows, document.querySelectorAll('[data-testid="order-row"]').length);
        if (el.dataset.hasMore !== "yes") break;
      }
      return { loaded: Number(el.dataset.loaded), more: el.dataset.hasMore === "yes", maxRows };
    }, 100);
    maxRows = Math.max(maxRows, state.maxRows);
    assert.ok(maxRows < MAX_ROWS, `${maxRows} rows in the DOM with ${state.loaded} loaded`);
    loaded = state.loaded;
    chunks += 1;
    if (chunks === 1) await screenshot(page, "orders-scrolled");
    if (!state.more) break;
  }
  await scroller.evaluate((el) => {
    el.scrollTop = el.scrollHeight;
  });
  const seconds = (Date.now() - started) / 1000;
  assert.equal(loaded, expected, "every order was loaded by scrolling");
  await page.locator(`[data-testid="order-row"][data-index="${expected - 1}"]`).waitFor({ timeout: 5_000 });
  const orderRequests = requests.filter((url) => new URL(url).pathname === `/api/shops/${shop_orders.id}/orders`);
  assert.ok(orderRequests.length >= expected / 500, `${orderRequests.length} page requests`);
  const withOffset = requests.filter((url) => /offset/i.test(url));
  assert.deepEqual(withOffset, [], "no request may use OFFSET pagination");
  const firstPages = orderRequests.filter((url) => !new URL(url).searchParams.has("cursor"));
  assert.equal(firstPages.length, 1, `only the first page goes without a cursor: ${firstPages.join(", ")}`);
  await screenshot(page, "orders-end");
  const entries = await page.evaluate((id) =>
    performance.getEntriesByType("resource").filter((e) => e.name.includes(`/api/shops/${id}/orders?`)).map((e) => [e.startTime, e.responseEnd]),
  shop_orders.id);
  const timings = entries.map(([a, b]) => b - a).sort((a, b) => a - b);
  const gaps = entries.slice(1).map(([start], i) => start - entries[i][1]).sort((a, b) => a - b);
  const median = (list) => list[Math.floor(list.length / 2)]?.toFixed(0);
  console.log(`# order page request median ${median(timings)} ms; response to next request median ${median(gaps)} ms (first ${entries.length} pages)`);
  console.log(`# scrolled ${expected} orders in ${seconds.toFixed(1)} s, ${orderRequests.length} requests, at most ${maxRows} rows in the DOM`);

  await page.getByTestId("order-row").last().click();
  await page.getByRole("dialog").waitFor();
  await page.getByTestId("order-total").waitFor();
  await page.waitForTimeout(400); // the drawer's slide-in transition
  await screenshot(page, "order-detail");
  assert.deepEqual(errors, []);
});
