// A user of shop A cannot reach shop B's pages: not found in the UI, 404 from the API, absent from the switcher.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { BASE_URL, CONFIG, openBrowser, screenshot, settled, signIn } from "./browser.mjs";

let session;
before(async () => {
  session = await openBrowser();
});
after(async () => {
  await session?.browser.close();
});

test("shop B is unreachable for a user of shop A", async () => {
  const { page, errors } = session;
  const { member, shop_a, shop_b, shop_orders } = CONFIG;
  await signIn(page, member.email, member.password);

  await page.goto(`${BASE_URL}/shops/${shop_b.id}/orders`);
  await page.getByTestId("not-found").waitFor();
  assert.match(await page.getByTestId("not-found").innerText(), new RegExp(`no shop ${shop_b.id}`));
  await screenshot(page, "not-found-foreign-shop");

  for (const sub of ["snapshot-runs", "webhook-events", "settings"]) {
    await page.goto(`${BASE_URL}/shops/${shop_b.id}/${sub}`);
    await page.getByTestId("not-found").waitFor();
  }

  const status = await page.evaluate(async (id) => (await fetch(`/api/shops/${id}`)).status, shop_b.id);
  assert.equal(status, 404, "the API must answer 404 for a shop the caller may not see");

  await page.goto(`${BASE_URL}/shops/${shop_a.id}/orders`);
  await page.getByRole("textbox", { name: "Shop" }).click();
  // Shop A is named by Shoptet at install; the member has exactly A and the big orders shop.
  const options = await page.getByRole("option").allInnerTexts();
  assert.equal(options.length, 2, `switcher lists the member's two shops: ${options}`);
  assert.ok(options.includes(shop_orders.name), `switcher lists ${shop_orders.name}: ${options}`);
  assert.ok(!options.includes(shop_b.name), `switcher must not list ${shop_b.name}: ${options}`);
  await screenshot(page, "shop-switcher");

  await page.goto(`${BASE_URL}/shops`);
  await settled(page);
  const cards = await page.getByTestId("shop-card").allInnerTexts();
  assert.ok(!cards.some((text) => text.includes(shop_b.name)), "shops page must not show shop B");
  assert.deepEqual(errors, []);
});
