/** Exports: start one, follow its progress (the workflow's query, through the API), download it. */

import { useMutation, useQueryClient } from "@tanstack/react-query";

import { useRunProgress } from "../components/useRunProgress";
import { apiFetch } from "./client";
import type { OrderFilters } from "./types";

export const EXPORT_KINDS = [
  "orders",
  "order_items",
  "customers",
  "products",
  "purchase_orders",
  "customer_segments",
  "inventory_recommendations",
] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];
export type ExportFormat = "csv" | "xlsx";
export type ExportStatus = "pending" | "running" | "done" | "failed" | "expired";

export type ExportRow = {
  id: string;
  kind: ExportKind;
  format: ExportFormat;
  filters: OrderFilters;
  status: ExportStatus;
  rows_done: number;
  rows_estimate: number | null;
  file_size: number | null;
  error: string | null;
  created_at: string;
  finished_at: string | null;
  expires_at: string | null;
  downloadable: boolean;
  /** HMAC-signed, expiring link (EXPORT_LINK_SECONDS); refreshed with every list the page polls */
  download_url?: string | null;
};

export type ExportRequest = { kind: ExportKind; format: ExportFormat; filters?: OrderFilters };

const base = (shopId: number) => `/api/shops/${shopId}/exports`;
export const exportsKey = (shopId: number) => ["exports", shopId] as const;

/** The signed link the server made for this row, else the members-only route. */
export function downloadUrl(shopId: number, row: Pick<ExportRow, "id" | "download_url">): string {
  return row.download_url ?? `${base(shopId)}/${row.id}/download`;
}

/** Share of the estimate written (0–100); the estimate is the planner's, so capped. */
export function exportPercent(row: ExportRow): number {
  if (row.status === "done") return 100;
  if (!row.rows_estimate) return 0;
  return Math.min(99, Math.floor((100 * row.rows_done) / row.rows_estimate));
}

const active = (row: ExportRow) => row.status === "pending" || row.status === "running";

/** The list; an export being written is read one by one, so its figures are the workflow's. */
async function fetchExports(shopId: number, signal: AbortSignal): Promise<ExportRow[]> {
  const rows = await apiFetch<ExportRow[]>(base(shopId), { signal });
  return Promise.all(
    rows.map((row) => (active(row) ? apiFetch<ExportRow>(`${base(shopId)}/${row.id}`, { signal }) : row)),
  );
}

/** The shop's exports, polled while one is being written (see useRunProgress). */
export function useExports(shopId: number) {
  return useRunProgress<ExportRow[], ExportRow>({
    stateKey: [...exportsKey(shopId), "list"],
    fetchState: (signal) => fetchExports(shopId, signal),
    view: (rows) => ({ running: rows.some(active), runId: rows[0]?.id ?? null }),
    startRun: () => Promise.reject(new Error("start exports with useStartExport")),
    refreshKey: exportsKey(shopId),
    pollMs: 1000,
  });
}

export function useStartExport(shopId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (request: ExportRequest) =>
      apiFetch<ExportRow>(base(shopId), { method: "POST", body: request }),
    onSuccess: () => client.invalidateQueries({ queryKey: exportsKey(shopId) }),
  });
}
