// Start a snapshot from the UI and watch its bar reach 100 %; make the sandbox fail a job and retry it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { BASE_URL, CONFIG, requireEndpoints, openBrowser, screenshot, setSandboxKnobs, signIn } from "./browser.mjs";

const NEEDED = ["POST /api/shops/{shop_id}/snapshot-runs", "GET /api/snapshot-runs/{id}"];
let session;
before(async () => {
  session = await openBrowser();
  await signIn(session.page, CONFIG.member.email, CONFIG.member.password);
});
after(async () => {
  await session?.browser.close();
});

/** Installation starts snapshots of its own; wait until none runs, so ours is not refused with 409. */
async function waitIdle(page, timeout = 150_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const active = await page.evaluate(async (shopId) => {
      const response = await fetch(`/api/shops/${shopId}/snapshot-runs?limit=200`);
      const page = await response.json();
      return page.items.filter((run) => run.status === "running" || run.status === "pending").map((run) => run.id);
    }, CONFIG.shop_a.id);
    if (active.length === 0) return;
    if (Date.now() > deadline) throw new Error(`runs ${active} still active after ${timeout} ms`);
    await page.waitForTimeout(500);
  }
}

async function startFromUi(page, resource) {
  await waitIdle(page);
  await page.goto(`${BASE_URL}/shops/${CONFIG.shop_a.id}/snapshot-runs`);
  await page.getByTestId("start-snapshot").click();
  await page.getByTestId("resource-picker").getByText(resource, { exact: true }).click();
  await page.getByTestId("start-snapshot-submit").click();
  await page.waitForURL(/\/snapshot-runs\/\d+$/, { timeout: 15_000 });
  const runId = Number(page.url().split("/").pop());
  await detailOf(page, runId).waitFor({ timeout: 15_000 });
  return runId;
}

/** The run's detail panel: the URL changes before React renders it, and until then the list
 * (with a progress bar and status per row) is still on the page. */
function detailOf(page, runId) {
  return page.locator(`[data-testid="run-detail"][data-run-id="${runId}"]`);
}

/** Polls the page (not the API) until run `runId` shows one of `statuses`; returns the percents seen. */
async function watchUntil(page, runId, statuses, timeout) {
  const seen = [];
  const deadline = Date.now() + timeout;
  for (;;) {
    const state = await page.evaluate((id) => {
      const detail = document.querySelector(`[data-testid="run-detail"][data-run-id="${id}"]`);
      return {
        status: detail?.querySelector('[data-testid="run-status"]')?.getAttribute("data-status"),
        percent: detail?.querySelector('[data-testid="run-progress"]')?.getAttribute("data-percent"),
        text: detail?.querySelector('[data-testid="run-percent"]')?.textContent,
        error: detail?.querySelector('[data-testid="run-error"]')?.textContent,
      };
    }, runId);
    if (state.percent && seen.at(-1) !== state.percent) seen.push(state.percent);
    if (statuses.includes(state.status)) return { ...state, seen };
    if (Date.now() > deadline) throw new Error(`run still ${state.status} at ${state.text} after ${timeout} ms`);
    await page.waitForTimeout(250);
  }
}

test("start a snapshot and watch the bar reach 100 %", { timeout: 200_000 }, async () => {
  await requireEndpoints(...NEEDED);
  const { page, requests, errors } = session;
  const runId = await startFromUi(page, "orders");
  await detailOf(page, runId).getByTestId("run-progress").waitFor();
  await screenshot(page, "snapshot-run-started");
  const end = await watchUntil(page, runId, ["completed", "completed_with_rejects", "failed", "cancelled"], 180_000);
  assert.match(end.status, /^completed/, `the run ended ${end.status}: ${end.error}`);
  assert.equal(end.percent, "100");
  assert.equal(end.text, "100%");
  const polls = requests.filter((url) => new URL(url).pathname === `/api/snapshot-runs/${runId}`);
  assert.ok(polls.length >= 2, `the page polled the run (${polls.length} requests)`);
  console.log(`# run ${runId}: percents seen ${end.seen.join(" → ")}, ${polls.length} polls`);
  // Polling stops once the run is finished (refetchInterval only while pending/running).
  await page.waitForTimeout(4500);
  const later = requests.filter((url) => new URL(url).pathname === `/api/snapshot-runs/${runId}`);
  assert.ok(later.length <= polls.length + 1, `still polling a finished run: ${polls.length} → ${later.length}`);
  await screenshot(page, "snapshot-run-completed");
  await page.goto(`${BASE_URL}/shops/${CONFIG.shop_a.id}/snapshot-runs`);
  await page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`).waitFor();
  await screenshot(page, "snapshot-runs");
  await page.goto(`${BASE_URL}/shops/${CONFIG.shop_a.id}/webhook-events`);
  await page.waitForFunction(() => !document.querySelector('[data-testid="loading-state"]'));
  await screenshot(page, "webhook-events-after-snapshot");
  assert.deepEqual(errors, []);
});

test("retry a failed run", { timeout: 200_000 }, async () => {
  await requireEndpoints(...NEEDED, "POST /api/snapshot-runs/{id}/retry");
  const { page, errors } = session;
  await setSandboxKnobs({ job_fail: true });
  let failedId;
  try {
    failedId = await startFromUi(page, "products");
    const end = await watchUntil(page, failedId, ["failed", "completed", "completed_with_rejects", "cancelled"], 120_000);
    assert.equal(end.status, "failed", "the sandbox was told to fail the job");
  } finally {
    await setSandboxKnobs({ job_fail: false });
  }
  await detailOf(page, failedId).getByTestId("run-error").waitFor();
  await screenshot(page, "snapshot-run-failed");
  await page.getByTestId("retry-run").click();
  await page.waitForURL((url) => /\/snapshot-runs\/\d+$/.test(url.pathname) && !url.pathname.endsWith(`/${failedId}`), {
    timeout: 15_000,
  });
  const retryId = Number(page.url().split("/").pop());
  await detailOf(page, retryId).getByText(`Retry of run ${failedId}`).first().waitFor();
  const end = await watchUntil(page, retryId, ["completed", "completed_with_rejects", "failed", "cancelled"], 180_000);
  assert.match(end.status, /^completed/, `the retried run ended ${end.status}: ${end.error}`);
  assert.equal(end.percent, "100");
  await screenshot(page, "snapshot-run-retried");
  assert.deepEqual(errors, []);
});
