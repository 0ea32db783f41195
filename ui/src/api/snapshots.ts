/** Snapshot runs: list, one run with live progress, rejects, start and retry. */

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { apiFetch } from "./client";
import { keys, type RunFilters } from "./keys";
import { firstCursor, flatItems, nextCursor } from "./pages";
import type { Page, SnapshotReject, SnapshotResource, SnapshotRun } from "./types";

/** How often a run that is still moving is polled. */
export const RUN_POLL_MS = 2000;

export function isActive(run: Pick<SnapshotRun, "status"> | null | undefined): boolean {
  return run?.status === "running" || run?.status === "pending";
}

export function useSnapshotRuns(shopId: number, filters: RunFilters) {
  const query = useInfiniteQuery({
    queryKey: keys.snapshotRuns.list(shopId, filters),
    queryFn: ({ pageParam, signal }) =>
      apiFetch<Page<SnapshotRun>>(`/api/shops/${shopId}/snapshot-runs`, {
        params: { ...filters, cursor: pageParam, limit: 50 },
        signal,
      }),
    initialPageParam: firstCursor,
    getNextPageParam: nextCursor,
    refetchInterval: (q) => (flatItems(q.state.data).some(isActive) ? RUN_POLL_MS : false),
  });
  return { ...query, items: flatItems(query.data) };
}

export function useSnapshotRun(runId: number) {
  return useQuery({
    queryKey: keys.snapshotRuns.detail(runId),
    queryFn: ({ signal }) => apiFetch<SnapshotRun>(`/api/snapshot-runs/${runId}`, { signal }),
    refetchInterval: (q) => (isActive(q.state.data) ? RUN_POLL_MS : false),
    staleTime: 0,
    enabled: Number.isInteger(runId) && runId > 0,
  });
}

export function useSnapshotRejects(runId: number, enabled = true) {
  const query = useInfiniteQuery({
    queryKey: keys.snapshotRuns.rejects(runId),
    queryFn: ({ pageParam, signal }) =>
      apiFetch<Page<SnapshotReject>>(`/api/snapshot-runs/${runId}/rejects`, {
        params: { cursor: pageParam, limit: 100 },
        signal,
      }),
    initialPageParam: firstCursor,
    getNextPageParam: nextCursor,
    enabled,
  });
  return { ...query, items: flatItems(query.data) };
}

export function useStartSnapshot(shopId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { resource: SnapshotResource; changed_since?: string }) =>
      apiFetch<SnapshotRun>(`/api/shops/${shopId}/snapshot-runs`, { method: "POST", body }),
    onSuccess: (run) => {
      client.setQueryData(keys.snapshotRuns.detail(run.id), run);
      void client.invalidateQueries({ queryKey: keys.snapshotRuns.all() });
    },
  });
}

export function useRetrySnapshotRun() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (runId: number) =>
      apiFetch<SnapshotRun>(`/api/snapshot-runs/${runId}/retry`, { method: "POST" }),
    onSuccess: (run) => {
      client.setQueryData(keys.snapshotRuns.detail(run.id), run);
      void client.invalidateQueries({ queryKey: keys.snapshotRuns.all() });
    },
  });
}
