// Every main page renders in a real browser without a script error and is saved as a screenshot.
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

test("the main pages render with data, empty or the API's error", { timeout: 120_000 }, async () => {
  const { page, errors } = session;
  const { admin, shop_a } = CONFIG;
  await page.goto(`${BASE_URL}/shops`);
  await page.waitForURL(/\/signin/);
  await screenshot(page, "signin");
  await signIn(page, admin.email, admin.password);

  const pages = {
    shops: "/shops",
    "orders-shop-a": `/shops/${shop_a.id}/orders`,
    "snapshot-runs-shop-a": `/shops/${shop_a.id}/snapshot-runs`,
    "webhook-events": `/shops/${shop_a.id}/webhook-events`,
    "shop-settings": `/shops/${shop_a.id}/settings`,
    "app-settings": "/settings",
    notifications: "/notifications",
  };
  for (const [name, path] of Object.entries(pages)) {
    await page.goto(`${BASE_URL}${path}`);
    await settled(page);
    await page.getByRole("heading", { level: 2 }).first().waitFor();
    const errorState = page.getByTestId("error-state");
    if (await errorState.count()) {
      // An error must carry the API's message, never an empty box.
      const text = await errorState.first().innerText();
      assert.ok(text.trim().split("\n").length >= 2, `${name}: error state without a message: ${text}`);
      console.log(`# ${name}: ${text.replace(/\s+/g, " ")}`);
    }
    await screenshot(page, name);
  }

  await page.getByTestId("locale-switcher").getByText("CS").click();
  await page.goto(`${BASE_URL}/shops`);
  await page.getByRole("heading", { name: "Obchody" }).waitFor();
  await screenshot(page, "shops-cs");
  await page.getByTestId("locale-switcher").getByText("EN").click();

  await page.getByTestId("user-menu").click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await page.waitForURL(/\/signin/);
  assert.deepEqual(errors, []);
});
