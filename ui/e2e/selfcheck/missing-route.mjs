// Used by tests/browser/test_suite_rules.py: a scenario whose API route is missing must fail.
import { test } from "node:test";

import { requireEndpoints } from "../browser.mjs";

test("a scenario that needs a route the API lacks", async () => {
  await requireEndpoints("GET /api/health", "GET /api/shops/{shop_id}/no-such-page");
});
