/** Inventory planning: purchase recommendations, a variant's forecast, anomalies, accuracy, the run,
 * and the purchase orders placed from the recommendations. */

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { useRunProgress } from "../components/useRunProgress";
import { apiFetch, apiUrl } from "./client";
import { keys } from "./keys";
import { firstCursor, flatItems, nextCursor } from "./pages";
import type { Page } from "./types";

export const ALTERNATIVE_REASONS = ["late", "overdue", "out_of_stock", "over_budget", "cheaper"] as const;
export type AlternativeReason = (typeof ALTERNATIVE_REASONS)[number];

export type Recommendation = {
  id: number;
  variant_code: string;
  variant_name: string | null;
  supplier_id: number | null;
  supplier_name: string | null;
  quantity: string;
  packs: number | null;
  unit_price: string | null;
  purchase_cost: string | null;
  order_cost: string | null;
  risk_cost: string | null;
  expected_cost: string | null;
  currency: string;
  order_by: string;
  lead_time_days: number | null;
  on_hand: string | null;
  reorder_point: number | null;
  note: string | null;
  /** Supplier risk: the chosen offer's learnt on-time rate and lead-time spread; the variant's
   * primary supplier and, when it is late, overdue, out of stock or over budget, the alternative
   * proposed (the line's own supplier when the plan switched) and why. */
  on_time_rate?: number | null;
  lead_time_sd_days?: number | null;
  primary_supplier_name?: string | null;
  alternative_supplier_id?: number | null;
  alternative_supplier_name?: string | null;
  alternative_reason?: AlternativeReason | null;
  /** The variant's units on open purchase orders now. */
  on_order?: string;
  /** The open purchase order this line is on, if it was ordered. */
  purchase_order_id?: number | null;
};

export type VariantAccuracy = {
  variant_code: string;
  variant_name?: string | null;
  pattern: string | null;
  model: string;
  season_length: number;
  n_observed: number;
  n_censored: number;
  mase: number | null;
  naive_mase: number | null;
  relative_mae: number | null;
  backtest_mae: number | null;
  naive_mae: number | null;
  mean_demand: number;
  safety_stock: number;
  reorder_point: number;
  on_hand: string | null;
  eoq: number | null;
  order_by: string | null;
  mase_without_regressors?: number | null;
  mase_with_regressors?: number | null;
  regressor_gain?: number | null;
  regressors_used?: string | null; // the regressor groups kept, e.g. "weather,promotion"
};

export type OverallAccuracy = {
  run_id: number;
  variants: number;
  mase: number | null;
  naive_mase: number | null;
  relative_mase: number | null;
  beats_naive_share: number | null;
  models: Record<string, number>;
};
export type AccuracyPage = Page<VariantAccuracy> & { overall: OverallAccuracy | null };

export type HistoryPoint = { day: string; sales: number; stock: number | null; censored: boolean };
export type ForecastPoint = { day: string; mean: number; lo: number; hi: number; naive: number | null };
export type VariantForecast = {
  variant_code: string;
  variant_name: string | null;
  as_of: string;
  history: HistoryPoint[];
  forecast: ForecastPoint[];
  /** The first forecast day on which on hand less the forecast demand reaches 0 (no arrivals). */
  stockout_day?: string | null;
  metrics: VariantAccuracy;
};

export const ANOMALY_KINDS = [
  "sales_spike",
  "sales_drop",
  "drop_without_sales",
  "drop_beyond_sales",
  "jump",
  "late_purchase_order",
] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];
export const SEVERITIES = ["low", "medium", "high"] as const;
export type Severity = (typeof SEVERITIES)[number];
export type Anomaly = {
  id: number;
  variant_code: string;
  variant_name: string | null;
  day: string;
  kind: AnomalyKind;
  severity: Severity;
  score: number;
  sales: number | null;
  expected: number | null;
  lo: number | null;
  hi: number | null;
  stock_change: number | null;
  unexplained: number | null;
  /** late_purchase_order: the order expected after the stock-out (`day`; `expected` = its
   * units), the shop-local day it is expected, and the units a bridging order must bring */
  purchase_order_id: number | null;
  arrives_on: string | null;
  bridge_quantity: number | null;
  /** Sales anomalies: the dimensions that explain the deviation, strongest first. */
  causes?: AnomalyCause[] | null;
  detected_at: string;
  notified_at: string | null;
};
export type AnomalyCause = {
  dimension: "channel" | "region" | "price" | "promotion" | "customer" | "stock_out";
  value: string;
  explained: number;
  surprise: number;
  actual: number;
  expected: number;
  sentence: string;
  sentence_cs: string;
};
export type AnomalyFilters = { severity?: Severity; kind?: AnomalyKind };

export type InventoryRun = {
  id: number;
  status: "running" | "completed" | "failed";
  message: string | null;
  trigger: string;
  started_at: string;
  finished_at: string | null;
  as_of: string;
  horizon_days: number;
  currency: string;
  variants_total: number;
  variants_forecast: number;
  recommendations: number;
  recommended_cost: string | null;
  anomalies_new: number;
  notifications: number;
  mase: number | null;
  naive_mase: number | null;
  relative_mase: number | null;
  beats_naive_share: number | null;
};
export type InventoryProgress = {
  phase: string;
  variants_done: number;
  variants_total: number | null;
  run_id: number | null;
  message: string | null;
};
export type InventoryState = {
  workflow_id: string;
  /** The latest run's report (the previous one while a new run starts). */
  run: InventoryRun | null;
  running: boolean;
  progress: InventoryProgress | null;
};

function base(shopId: number): string {
  return `/api/shops/${shopId}/inventory`;
}

export function useRecommendations(shopId: number) {
  const query = useInfiniteQuery({
    queryKey: keys.inventory.recommendations(shopId),
    queryFn: ({ pageParam, signal }) =>
      apiFetch<Page<Recommendation>>(`${base(shopId)}/recommendations`, {
        params: { cursor: pageParam, limit: 100 },
        signal,
      }),
    initialPageParam: firstCursor,
    getNextPageParam: nextCursor,
  });
  return { ...query, items: flatItems(query.data) };
}

/** The CSV export streams from the API; the browser downloads it from this URL. */
export function recommendationsCsvUrl(shopId: number): string {
  return apiUrl(`${base(shopId)}/recommendations.csv`);
}

export function useVariantForecast(shopId: number, code: string | null) {
  return useQuery({
    queryKey: keys.inventory.forecast(shopId, code ?? ""),
    queryFn: ({ signal }) =>
      apiFetch<VariantForecast>(`${base(shopId)}/variants/${encodeURIComponent(code ?? "")}/forecast`, { signal }),
    enabled: Boolean(code),
  });
}

export function useInventoryAnomalies(shopId: number, filters: AnomalyFilters) {
  const query = useInfiniteQuery({
    queryKey: keys.inventory.anomalies(shopId, filters),
    queryFn: ({ pageParam, signal }) =>
      apiFetch<Page<Anomaly>>(`${base(shopId)}/anomalies`, {
        params: { ...filters, cursor: pageParam, limit: 100 },
        signal,
      }),
    initialPageParam: firstCursor,
    getNextPageParam: nextCursor,
  });
  return { ...query, items: flatItems(query.data) };
}

export function useInventoryAccuracy(shopId: number) {
  const query = useInfiniteQuery({
    queryKey: keys.inventory.accuracy(shopId),
    queryFn: ({ pageParam, signal }) =>
      apiFetch<AccuracyPage>(`${base(shopId)}/accuracy`, { params: { cursor: pageParam, limit: 100 }, signal }),
    initialPageParam: firstCursor,
    getNextPageParam: nextCursor,
  });
  return { ...query, items: flatItems(query.data), overall: query.data?.pages[0]?.overall ?? null };
}

export type RunStarted = { workflow_id: string; run_id: string | null; started: boolean };

/** The latest run with its live progress, "Plan now", and one refresh of the page when a run
 * ends (see useRunProgress). */
export function useInventoryRun(shopId: number) {
  return useRunProgress<InventoryState, RunStarted>({
    stateKey: keys.inventory.run(shopId),
    fetchState: (signal) => apiFetch<InventoryState>(`${base(shopId)}/run`, { signal }),
    view: (state) => ({ running: state.running, runId: state.run?.id ?? null }),
    startRun: () => apiFetch<RunStarted>(`${base(shopId)}/run`, { method: "POST" }),
    refreshKey: keys.inventory.all(shopId),
  });
}

export const PURCHASE_ORDER_STATUSES = ["open", "received", "cancelled"] as const;
export type PurchaseOrderStatus = (typeof PURCHASE_ORDER_STATUSES)[number];
export type PurchaseOrderLine = {
  id: number;
  variant_code: string;
  variant_name: string | null;
  quantity: string;
  received_quantity: string;
  unit_price: string | null;
  recommendation_id: number | null;
};
export type PurchaseOrder = {
  id: number;
  supplier_id: number | null;
  supplier_name: string | null;
  supplier_email?: string | null;
  emailed_at?: string | null;
  emailed_to?: string | null;
  status: PurchaseOrderStatus;
  currency: string;
  note: string | null;
  created_by: number | null;
  ordered_at: string;
  expected_at: string | null;
  received_at: string | null;
  cancelled_at: string | null;
  lines: PurchaseOrderLine[];
  total_quantity: string;
  received_quantity: string;
  total_cost: string;
};

function ordersBase(shopId: number): string {
  return `/api/shops/${shopId}/purchase-orders`;
}

export function usePurchaseOrders(shopId: number, status: PurchaseOrderStatus | undefined) {
  const query = useInfiniteQuery({
    queryKey: keys.inventory.purchaseOrders(shopId, status),
    queryFn: ({ pageParam, signal }) =>
      apiFetch<Page<PurchaseOrder>>(ordersBase(shopId), {
        params: { status, cursor: pageParam, limit: 50 },
        signal,
      }),
    initialPageParam: firstCursor,
    getNextPageParam: nextCursor,
  });
  return { ...query, items: flatItems(query.data) };
}

/** The order as a document to send to the supplier (the browser downloads it). */
export function purchaseOrderFileUrl(shopId: number, orderId: number, kind: "pdf" | "csv", lang?: string): string {
  return apiUrl(`${ordersBase(shopId)}/${orderId}/${kind}`, { lang });
}

/** Orders and the recommendations' "on order" change together: refresh both. */
function useInvalidateOrders(shopId: number) {
  const client = useQueryClient();
  return () => {
    void client.invalidateQueries({ queryKey: keys.inventory.purchaseOrders(shopId) });
    void client.invalidateQueries({ queryKey: keys.inventory.recommendations(shopId) });
  };
}

/** One purchase order per supplier from the selected recommendation lines. */
export function useCreatePurchaseOrders(shopId: number) {
  const invalidate = useInvalidateOrders(shopId);
  return useMutation({
    mutationFn: (recommendationIds: number[]) =>
      apiFetch<{ items: PurchaseOrder[] }>(ordersBase(shopId), {
        method: "POST",
        body: { recommendation_ids: recommendationIds },
      }),
    onSettled: invalidate,
  });
}

/** Receive everything still outstanding on an order, or cancel it. */
export function usePurchaseOrderAction(shopId: number) {
  const invalidate = useInvalidateOrders(shopId);
  return useMutation({
    mutationFn: ({ id, action }: { id: number; action: "receive" | "cancel" }) =>
      apiFetch<PurchaseOrder>(`${ordersBase(shopId)}/${id}/${action}`, { method: "POST" }),
    onSettled: invalidate,
  });
}

/** Have shopops e-mail the order (PDF and CSV attached) to its supplier, in the background. */
export function useEmailPurchaseOrder(shopId: number) {
  const invalidate = useInvalidateOrders(shopId);
  return useMutation({
    mutationFn: ({ id, lang }: { id: number; lang: string }) =>
      apiFetch<{ mail_id: number; to: string[] }>(`${ordersBase(shopId)}/${id}/email`, { method: "POST", body: { lang } }),
    onSettled: invalidate,
  });
}
