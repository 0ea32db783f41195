/** Admin monitoring: the report (refreshed every 30 s) and the actions taken from it. */

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { apiFetch } from "./client";
import { keys } from "./keys";

export const MONITORING_REFRESH_MS = 30_000;

export type CheckState = "ok" | "warn" | "critical" | "unavailable";

export type CheckResult = {
  name: string;
  part: string;
  description: string;
  state: CheckState;
  value: number | null;
  unit: string;
  warn: number | null;
  critical: number | null;
  summary: string;
  rows: Record<string, unknown>[];
  /** Czech texts; absent from older APIs (the page then shows the English ones). */
  description_cs?: string;
  summary_cs?: string | null;
};

export type QueueRow = {
  queue: string;
  workflow_backlog: number;
  activity_backlog: number;
  backlog_age_s: number;
  workflow_pollers: number;
  activity_pollers: number;
  avg_activity_s: number;
  wait_s: number | null;
  no_workers: boolean;
};

export type FailedRun = {
  workflow_id: string;
  run_id: string;
  workflow_type: string;
  status: string;
  closed_at: string | null;
  reason: string;
  temporal_url: string;
};

export type Schedule = {
  id: string;
  workflow: string | null;
  paused: boolean;
  note: string | null;
  last_run_at: string | null;
  next_run_at: string | null;
};

export type LatencySeries = {
  name: string;
  count: number;
  total_ms: number;
  mean_ms: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  max_ms: number;
};

export type ErrorGroup = {
  fingerprint: string;
  source: string;
  error_type: string;
  message: string;
  sample: string;
  frames: string[];
  total: number;
  last_24h: number;
  last_seen: string;
  last_trace_id: string | null;
};

export type MonitoringReport = {
  generated_at: string;
  state: CheckState;
  checks: CheckResult[];
  problems: Record<string, string>;
  parts: {
    queues?: { queues: QueueRow[] };
    workflows?: {
      last_hour: { started: number; completed: number; failed: number; truncated: boolean };
      timeline: { minute: string; started: number; completed: number; failed: number }[];
      run_times: { workflow_type: string; runs: number; p50_s: number | null; p95_s: number | null }[];
      failed_runs: FailedRun[];
      failures_by_hour: { hour: string; failed: number }[];
      schedules: Schedule[];
    };
    database?: {
      sizes: { table: string; parent: string | null; size: string; bytes: number; rows: number; growth_bytes_per_day: number | null }[];
      statements: { top: { queryid: string; query: string; calls: number; total_ms: number; mean_ms: number }[]; problem: string | null; problem_cs?: string | null };
    };
    errors?: { groups: ErrorGroup[]; timeline: { hour: string; errors: number }[] };
    performance?: {
      routes: LatencySeries[];
      activities: LatencySeries[];
      sql: LatencySeries[];
      timeline: { minute: string; requests: number; p50_ms: number | null; p95_ms: number | null }[];
    };
    cache?: {
      caches: { cache: string; reads: number; hit_rate: number | null; levels: { level: string; hit: number; miss: number; hit_rate: number | null }[] }[];
      kinds?: CacheKind[];
    };
    monitoring?: { alerts: { id: number; check_name: string; summary: string; opened_at: string; resolved_at: string | null }[] };
  };
};

/** A path segment for a workflow or schedule id (their colons are legal in a path and kept). */
const segment = (id: string) => encodeURIComponent(id).replace(/%3A/gi, ":");

export function useMonitoring() {
  return useQuery({
    queryKey: keys.monitoring.report(),
    queryFn: ({ signal }) => apiFetch<MonitoringReport>("/api/admin/monitoring", { signal }),
    refetchInterval: MONITORING_REFRESH_MS,
  });
}

export function useRetryRun() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (run: { workflow_id: string; run_id: string }) =>
      apiFetch<{ workflow_id: string; run_id: string }>(
        `/api/admin/monitoring/workflows/${segment(run.workflow_id)}/retry`,
        { method: "POST", body: { run_id: run.run_id } },
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.monitoring.report() }),
  });
}

export function useScheduleAction() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action }: { id: string; action: "pause" | "unpause" | "trigger" }) =>
      apiFetch<{ schedule_id: string; paused: boolean }>(
        `/api/admin/monitoring/schedules/${segment(id)}/${action}`,
        { method: "POST" },
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.monitoring.report() }),
  });
}

/** The tagged cache's answers of one kind (shops, dashboard, orders, …) since its counters began. */
export type CacheKind = {
  kind: string;
  ttl_s: number;
  reads: number;
  hit: number;
  miss: number;
  stale: number;
  wait: number;
  error: number;
  hit_rate: number;
  mean_ms: number;
};
