/** Admin → Monitoring: a state per check, part details, retry and schedule actions, 30 s refresh. */

import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { CheckResult, CheckState, MonitoringReport } from "../../api/monitoring";
import { ME, fakeApi, problem } from "../../test/api";
import { renderApp } from "../../test/render";

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const ADMIN = { ...ME, role: "admin" };

function check(name: string, part: string, state: CheckState, summary: string, value: number | null = null): CheckResult {
  return { name, part, description: `${name} description`, state, value, unit: "", warn: 1, critical: 2, summary, rows: [] };
}

function report(overrides: Partial<MonitoringReport> = {}): MonitoringReport {
  return {
    generated_at: "2026-11-28T10:00:00+00:00",
    state: "critical",
    problems: {},
    checks: [
      check("queue_wait", "queues", "critical", "tasks wait on shopops-exports and no worker polls it", 75),
      check("failed_workflows", "workflows", "warn", "1 run(s) failed in the last hour", 1),
      check("backup_age", "database", "ok", "last backup finished 3.0 h ago", 3),
      check("error_rate_spike", "errors", "ok", "0 error(s) in the last 5 min"),
      check("api_latency_p95", "performance", "ok", "p95 40 ms"),
    ],
    parts: {
      queues: {
        queues: [
          { queue: "shopops-exports", workflow_backlog: 3, activity_backlog: 0, backlog_age_s: 75, workflow_pollers: 0, activity_pollers: 0, avg_activity_s: 0, wait_s: null, no_workers: true },
        ],
      },
      workflows: {
        last_hour: { started: 12, completed: 10, failed: 1, truncated: false },
        timeline: [{ minute: "2026-11-28T09:59:00Z", started: 2, completed: 1, failed: 1 }],
        run_times: [{ workflow_type: "SnapshotWorkflow", runs: 4, p50_s: 2.5, p95_s: 9 }],
        failed_runs: [
          {
            workflow_id: "ship:1",
            run_id: "run-1",
            workflow_type: "ShipOrderWorkflow",
            status: "failed",
            closed_at: "2026-11-28T09:58:00+00:00",
            reason: "Activity task failed: carrier API refused parcel",
            temporal_url: "http://temporal/ship:1",
          },
        ],
        failures_by_hour: [{ hour: "2026-11-28T09:00:00Z", failed: 1 }],
        schedules: [{ id: "maint:backup", workflow: "BackupWorkflow", paused: false, note: null, last_run_at: null, next_run_at: "2026-11-29T01:00:00+00:00" }],
      },
      errors: {
        groups: [
          {
            fingerprint: "abc",
            source: "api",
            error_type: "InvoiceRenderError",
            message: "template missing for order <n>",
            sample: "template missing for order 7",
            frames: ["api.routes.invoices:render"],
            total: 30,
            last_24h: 30,
            last_seen: "2026-11-28T09:59:00+00:00",
            last_trace_id: "0af7651916cd43dd8448eb211c80319c",
          },
        ],
        timeline: [{ hour: "2026-11-28T09:00:00Z", errors: 30 }],
      },
      performance: {
        routes: [{ name: "GET /api/shops", count: 40, total_ms: 800, mean_ms: 20, p50_ms: 15, p95_ms: 40, p99_ms: 60, max_ms: 70 }],
        activities: [],
        sql: [],
        timeline: [
          { minute: "2026-11-28T09:58:00Z", requests: 20, p50_ms: 15, p95_ms: 40 },
          { minute: "2026-11-28T09:59:00Z", requests: 20, p50_ms: 12, p95_ms: 30 },
        ],
      },
    },
    ...overrides,
  };
}

describe("monitoring page", () => {
  it("speaks Czech: the check's Czech description and summary, the name only as an identifier", async () => {
    const cs = report({
      checks: [
        {
          ...check("backup_age", "database", "warn", "no backup yet: the first one runs on the daily schedule"),
          description_cs: "Hodiny od poslední dokončené zálohy (denní plán).",
          summary_cs: "zatím žádná záloha: první proběhne podle denního plánu",
        },
      ],
    });
    fakeApi({ "GET /api/auth/me": { body: { ...ADMIN, locale: "cs" } }, "GET /api/admin/monitoring": { body: cs } });
    renderApp("/admin/monitoring");
    const row = (await screen.findByText("Hodiny od poslední dokončené zálohy (denní plán).")).closest("[data-testid=check]") as HTMLElement;
    expect(within(row).getByText("zatím žádná záloha: první proběhne podle denního plánu")).toBeInTheDocument();
    expect(within(row).queryByText(/no backup yet/)).toBeNull();
    expect(within(row).getByText("backup_age")).toHaveAttribute("data-raw");
  });

  it("shows every check with its state and the parts' details", async () => {
    fakeApi({ "GET /api/auth/me": { body: ADMIN }, "GET /api/admin/monitoring": { body: report() } });
    renderApp("/admin/monitoring");
    const queue = await screen.findByText("queue_wait");
    const row = queue.closest("[data-testid=check]") as HTMLElement;
    expect(within(row).getByTestId("check-state")).toHaveAttribute("data-state", "critical");
    expect(within(row).getByText(/no worker polls it/)).toBeInTheDocument();
    const states = screen.getAllByTestId("check").map((r) => [r.dataset.check, within(r).getByTestId("check-state").dataset.state]);
    expect(states).toEqual(
      expect.arrayContaining([["failed_workflows", "warn"], ["backup_age", "ok"], ["error_rate_spike", "ok"]]),
    );
    expect(screen.getByText("no worker")).toBeInTheDocument();
    expect(screen.getByText("Activity task failed: carrier API refused parcel")).toBeInTheDocument();
    expect(within(screen.getByTestId("error-groups")).getByText("0af7651916cd43dd8448eb211c80319c")).toBeInTheDocument();
    expect(screen.getByTestId("line-p95_ms")).toHaveAttribute("points", expect.stringContaining(","));
    expect(screen.getAllByTestId("bar").length).toBeGreaterThan(0);
    expect(screen.getByRole("link", { name: "Monitoring" })).toHaveAttribute("href", "/admin/monitoring");
  });

  it("retries a failed run and pauses a schedule", async () => {
    const api = fakeApi({
      "GET /api/auth/me": { body: ADMIN },
      "GET /api/admin/monitoring": { body: report() },
      "POST /api/admin/monitoring/workflows/ship:1/retry": { status: 202, body: { workflow_id: "ship:1", run_id: "run-2abcdef" } },
      "POST /api/admin/monitoring/schedules/maint:backup/pause": { body: { schedule_id: "maint:backup", paused: true } },
    });
    renderApp("/admin/monitoring");
    fireEvent.click(await screen.findByRole("button", { name: "Retry" }));
    expect(await screen.findByText("Retried as run run-2abc")).toBeInTheDocument();
    expect(api.callsTo("POST /api/admin/monitoring/workflows/ship:1/retry")[0]?.body).toEqual({ run_id: "run-1" });
    const schedule = screen.getByTestId("schedule");
    fireEvent.click(within(schedule).getByRole("button", { name: "Pause" }));
    await waitFor(() => expect(api.callsTo("POST /api/admin/monitoring/schedules/maint:backup/pause")).toHaveLength(1));
  });

  it("shows why a part is unavailable and the API's refusal of an action", async () => {
    fakeApi({
      "GET /api/auth/me": { body: ADMIN },
      "GET /api/admin/monitoring": {
        body: report({ problems: { queues: "RuntimeError: Temporal is not reachable" }, parts: { ...report().parts, queues: undefined } }),
      },
      "POST /api/admin/monitoring/workflows/ship:1/retry": problem(409, "Only failed runs can be retried", "Run run-1 of ship:1 is running."),
    });
    renderApp("/admin/monitoring");
    expect(await screen.findByText(/Temporal is not reachable/)).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(await screen.findByText("Run run-1 of ship:1 is running.")).toBeInTheDocument();
  });

  it("refreshes every 30 seconds", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const api = fakeApi({ "GET /api/auth/me": { body: ADMIN }, "GET /api/admin/monitoring": { body: report() } });
    renderApp("/admin/monitoring");
    await screen.findByText("queue_wait");
    expect(api.callsTo("GET /api/admin/monitoring")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(30_000);
    await waitFor(() => expect(api.callsTo("GET /api/admin/monitoring")).toHaveLength(2));
  });
});
