// Scroll 100 000 orders to the end: cursor pages only (no offset), and a bounded DOM all the way.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { BASE_URL, CONFIG, missing, openBrowser, screenshot, settled, signIn } from "./browser.mjs";

const MAX_ROWS = 200;
let session;
before(async () => {
  session = await openBrowser();
});
after(async () => {
  await session?.browser.close();
});

test("scroll an orders list of 100 000 rows to the end", { timeout: 240_000 }, async (t) => {
  const reason = await missing("GET /api/shops/{shop_id}/orders");
  if (reason) return t.skip(reason);
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
  let rounds = 0;
  const started = Date.now();
  for (;;) {
    const state = await scroller.evaluate((el) => {
      el.scrollTop = el.scrollHeight;
      el.dispatchEvent(new Event("scroll"));
      return {
        loaded: Number(el.dataset.loaded),
        more: el.dataset.hasMore === "yes",
        rows: document.querySelectorAll('[data-testid="order-row"]').length,
      };
    });
    maxRows = Math.max(maxRows, state.rows);
    assert.ok(state.rows < MAX_ROWS, `${state.rows} rows in the DOM after ${state.loaded} loaded`);
    loaded = state.loaded;
    if (!state.more) break;
    rounds += 1;
    if (rounds === 100) await screenshot(page, "orders-scrolled");
    await page.waitForFunction(
      ([el, before]) => Number(el.dataset.loaded) > before || el.dataset.hasMore !== "yes",
      [await scroller.elementHandle(), state.loaded],
      { timeout: 20_000, polling: 20 },
    );
  }
  const seconds = (Date.now() - started) / 1000;
  assert.equal(loaded, expected, "every order was loaded by scrolling");
  const lastIndex = await page.evaluate(() =>
    Math.max(...[...document.querySelectorAll('[data-testid="order-row"]')].map((r) => Number(r.dataset.index))),
  );
  assert.equal(lastIndex, expected - 1, "the last order is rendered at the end");
  const orderRequests = requests.filter((url) => new URL(url).pathname.endsWith(`/shops/${shop_orders.id}/orders`));
  assert.ok(orderRequests.length >= expected / 500, `${orderRequests.length} page requests`);
  const withOffset = requests.filter((url) => /offset/i.test(url));
  assert.deepEqual(withOffset, [], "no request may use OFFSET pagination");
  assert.ok(orderRequests.slice(1).every((url) => new URL(url).searchParams.has("cursor")), "pages after the first carry a cursor");
  await screenshot(page, "orders-end");
  console.log(`# scrolled ${expected} orders in ${seconds.toFixed(1)} s, ${orderRequests.length} requests, at most ${maxRows} rows in the DOM`);

  await page.getByTestId("order-row").last().click();
  await page.getByRole("dialog").waitFor();
  await settled(page);
  await screenshot(page, "order-detail");
  assert.deepEqual(errors, []);
});
