// Every main page renders in a real browser without a script error and is saved as a screenshot.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { BASE_URL, CONFIG, requireEndpoints, openBrowser, screenshot, settled, signIn } from "./browser.mjs";

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
  await settled(page);
  await page.getByText("Nainstalováno").first().waitFor();
  await screenshot(page, "shops-cs");
  await page.getByTestId("locale-switcher").getByText("EN").click();

  await page.getByTestId("user-menu").click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await page.waitForURL(/\/signin/);
  assert.deepEqual(errors, []);
});

test("a manager changes a shop setting and it persists", { timeout: 60_000 }, async () => {
  await requireEndpoints("GET /api/shops/{shop_id}/settings", "PUT /api/shops/{shop_id}/settings");
  const { page, errors } = session;
  const { member, shop_a } = CONFIG;
  await signIn(page, member.email, member.password);
  await page.goto(`${BASE_URL}/shops/${shop_a.id}/settings`);
  await settled(page);
  const input = page.locator('input[data-setting="sync.interval_minutes"]');
  await input.waitFor();
  const next = String(Number(await input.inputValue()) + 7);
  await input.fill(next);
  await page.getByTestId("save-settings").click();
  await page.getByText("Settings saved.").waitFor();
  await page.reload();
  await settled(page);
  await input.waitFor();
  assert.equal(await input.inputValue(), next);
  await screenshot(page, "shop-settings-saved");
  assert.deepEqual(errors, []);
});
