/** The arithmetic behind a run's progress bar, kept pure so it is tested on its own. */

import type { SnapshotRun } from "../api/types";

export type ProgressView = {
  /** 0–100, or null while the total is unknown. */
  percent: number | null;
  active: boolean;
  rate: number | null;
  etaSeconds: number | null;
};

const DONE = new Set(["completed", "completed_with_rejects"]);

function num(value: number | string | null | undefined): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

export function runProgress(
  run: Pick<
    SnapshotRun,
    "status" | "percent" | "processed_lines" | "total_lines" | "rate_lines_per_s" | "eta_seconds"
  >,
): ProgressView {
  const active = run.status === "running" || run.status === "pending";
  let percent = num(run.percent);
  if (percent === null && run.total_lines) percent = (100 * run.processed_lines) / run.total_lines;
  if (percent === null && DONE.has(run.status)) percent = 100;
  if (percent !== null) percent = Math.min(100, Math.max(0, percent));
  const rate = active ? num(run.rate_lines_per_s) : null;
  let etaSeconds = active ? num(run.eta_seconds) : null;
  if (etaSeconds === null && active && rate && run.total_lines) {
    etaSeconds = Math.max(0, run.total_lines - run.processed_lines) / rate;
  }
  return { percent, active, rate, etaSeconds };
}
