// The built UI under the API's Content-Security-Policy: no page may trigger a violation, and the
// CSRF token travels with every change the UI makes (creating and revoking an API token).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { BASE_URL, CONFIG, openBrowser, screenshot, settled, signIn } from "./browser.mjs";

let session;
const violations = [];
before(async () => {
  session = await openBrowser();
  const { page } = session;
  // Chromium reports a blocked resource both as a console error and as this DOM event.
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.context().addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`Content Security Policy violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
    });
  });
});
after(async () => {
  await session?.browser.close();
});

test("the detector sees a violation (an inline script is blocked)", { timeout: 60_000 }, async () => {
  const { page } = session;
  await page.goto(`${BASE_URL}/signin`);
  const response = await page.request.get(`${BASE_URL}/signin`);
  assert.match(response.headers()["content-security-policy"] ?? "", /script-src 'self';/);
  await page.evaluate(() => {
    const script = document.createElement("script");
    script.textContent = "window.__inlineRan = true";
    document.body.appendChild(script);
  });
  await page.waitForTimeout(200);
  assert.equal(await page.evaluate(() => window.__inlineRan ?? false), false);
  assert.ok(violations.length > 0, "an inline script ran or was not reported");
  violations.length = 0;
});

test("every page renders under the CSP without a violation", { timeout: 180_000 }, async () => {
  const { page, errors } = session;
  const { admin, shop_a } = CONFIG;
  const refused = [];
  page.on("response", (response) => {
    if (response.url().includes("/api/") && response.status() === 403) refused.push(response.url());
  });
  await signIn(page, admin.email, admin.password);
  const pages = [
    "/shops",
    `/shops/${shop_a.id}/orders`,
    `/shops/${shop_a.id}/customers`,
    `/shops/${shop_a.id}/inventory`,
    `/shops/${shop_a.id}/snapshot-runs`,
    `/shops/${shop_a.id}/webhook-events`,
    `/shops/${shop_a.id}/settings`,
    "/settings",
    "/notifications",
    "/admin/monitoring",
    "/admin/audit-log",
    "/tokens",
  ];
  for (const path of pages) {
    await page.goto(`${BASE_URL}${path}`);
    await settled(page);
    await page.getByRole("heading", { level: 2 }).first().waitFor();
  }

  // A change made through the UI carries the CSRF token: create a token, then revoke it.
  await page.getByTestId("token-name").fill("csp browser test");
  await page.getByTestId("token-create").click();
  await page.getByTestId("new-token-value").waitFor();
  const row = page.getByTestId("token-row").filter({ hasText: "csp browser test" });
  await row.getByRole("button", { name: "Revoke" }).click();
  await page.getByTestId("token-row").filter({ hasText: "csp browser test" }).and(page.locator('[data-state="revoked"]')).waitFor();
  await screenshot(page, "api-tokens");
  await page.goto(`${BASE_URL}/admin/audit-log`);
  await page.getByTestId("audit-row").filter({ hasText: "token.revoke" }).first().waitFor();
  await screenshot(page, "audit-log");

  assert.deepEqual(violations, []);
  assert.deepEqual(refused, []);
  assert.deepEqual(errors, []);
});
