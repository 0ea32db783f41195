import { describe, expect, it } from "vitest";

import { runProgress } from "./runProgress";

const base = {
  status: "running" as const,
  percent: null,
  processed_lines: 0,
  total_lines: null,
  rate_lines_per_s: null,
  eta_seconds: null,
};

describe("runProgress", () => {
  it("uses the API's percent when it has one", () => {
    expect(runProgress({ ...base, percent: 42.5, processed_lines: 1, total_lines: 1000 }).percent).toBe(42.5);
  });

  it("computes the percent from lines when the API has none", () => {
    expect(runProgress({ ...base, processed_lines: 250, total_lines: 1000 }).percent).toBe(25);
  });

  it("is unknown (indeterminate) while the total is not known", () => {
    const view = runProgress({ ...base, processed_lines: 10 });
    expect(view.percent).toBeNull();
    expect(view.active).toBe(true);
  });

  it("clamps to 0..100", () => {
    expect(runProgress({ ...base, percent: 130 }).percent).toBe(100);
    expect(runProgress({ ...base, percent: -3 }).percent).toBe(0);
    expect(runProgress({ ...base, processed_lines: 1200, total_lines: 1000 }).percent).toBe(100);
  });

  it("shows a finished run as 100 % even without totals, and no rate or ETA", () => {
    const view = runProgress({ ...base, status: "completed", rate_lines_per_s: "900", eta_seconds: "3" });
    expect(view).toEqual({ percent: 100, active: false, rate: null, etaSeconds: null });
  });

  it("does not call a failed run complete", () => {
    expect(runProgress({ ...base, status: "failed" }).percent).toBeNull();
  });

  it("reads decimal strings for rate and ETA", () => {
    const view = runProgress({ ...base, processed_lines: 500, total_lines: 1000, rate_lines_per_s: "250.50", eta_seconds: "2.0" });
    expect(view.rate).toBe(250.5);
    expect(view.etaSeconds).toBe(2);
  });

  it("derives the ETA from rate and remaining lines when the API gives none", () => {
    const view = runProgress({ ...base, processed_lines: 4000, total_lines: 10000, rate_lines_per_s: 1000 });
    expect(view.etaSeconds).toBe(6);
  });
});
