// Used by tests/browser/test_suite_rules.py: a skipped scenario must fail the pytest side.
import { test } from "node:test";

test("a scenario that skips itself", (t) => {
  t.skip("no data to walk");
});
