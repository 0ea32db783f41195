/** Customer analytics: segments, the at-risk list, one customer, the track record, run now,
 * and the products' price sensitivity. */

import { useInfiniteQuery, useQuery } from "@tanstack/react-query";

import { useRunProgress } from "../components/useRunProgress";
import { apiFetch, apiUrl } from "./client";
import { keys } from "./keys";
import { firstCursor, flatItems, nextCursor } from "./pages";
import type { Page } from "./types";

export const SEGMENT_KEYS = [
  "champions",
  "loyal",
  "potential_loyalists",
  "new",
  "promising",
  "need_attention",
  "about_to_sleep",
  "at_risk",
  "cant_lose",
  "hibernating",
  "lost",
] as const;
export type SegmentKey = (typeof SEGMENT_KEYS)[number];

export type SegmentSummary = {
  segment: SegmentKey;
  name: string;
  customers: number;
  total_value: string | null;
  clv_12m: string | null;
  clv_at_risk: string | null;
  avg_p_alive: number | null;
  avg_churn_risk: number | null;
  profit_total: string | null;
  clv_profit_12m: string | null;
};
export type Segments = { currency: string; customers: number; items: SegmentSummary[] };

export type CustomerRow = {
  customer_key: string;
  customer_guid: string | null;
  email: string | null;
  name: string | null;
  segment: SegmentKey;
  orders: number;
  first_order_at: string;
  last_order_at: string;
  total_value: string | null;
  clv_12m: string | null;
  clv_at_risk: string | null;
  p_alive: number | null;
  churn_risk: number | null;
  expected_purchases_90d: number | null;
  next_purchase_at: string | null;
  r_score: number;
  f_score: number;
  m_score: number;
  profit_total: string | null;
  margin_rate: number | null;
  clv_profit_12m: string | null;
  discount_share: number | null;
  price_buyer: PriceBuyer | null;
  discount_advice: DiscountAdvice | null;
};
export type PriceBuyer = "full_price" | "mixed" | "discount_only";
export type DiscountAdvice = "offer" | "avoid";
export type Recommendation = { code: string; name: string | null; score: number; lift: number; because: string[] };
export type CustomerDetail = CustomerRow & {
  frequency: number;
  recency_weeks: number;
  age_weeks: number;
  monetary_value: string | null;
  computed_at: string;
  recommendations: Recommendation[];
};

export type ModelSummary = {
  model: string;
  mae: number | null;
  baseline_mae: number | null;
  auc_p_alive: number | null;
  predicted_purchases: number | null;
  actual_purchases: number | null;
  converged: boolean | null;
};
export type ModelReport = {
  id: number;
  status: "running" | "completed" | "not_enough_data" | "failed";
  message: string | null;
  trigger: string;
  started_at: string;
  finished_at: string | null;
  observation_end: string;
  calibration_end: string;
  holdout_periods: number;
  customers: number;
  repeat_buyers: number;
  orders: number;
  chosen_model: string | null;
  holdout_mae: number | null;
  baseline_mae: number | null;
  beats_baseline: boolean | null;
  auc_p_alive: number | null;
  predicted_purchases: number | null;
  actual_purchases: number | null;
  item_rules: number;
  models: ModelSummary[];
  by_frequency: { frequency: string; customers: number; actual: number; predicted: number; baseline: number }[];
};
export type AnalysisProgress = {
  phase: string;
  customers_processed: number;
  customers_total: number | null;
  message: string | null;
};
export type AnalysisState = { workflow_id: string; report: ModelReport | null; progress: AnalysisProgress | null };
export const CUSTOMER_SORTS = ["clv_at_risk", "clv_profit"] as const;
export type CustomerSort = (typeof CUSTOMER_SORTS)[number];
export type AtRiskFilters = { segment?: SegmentKey; min_churn_risk?: number; sort?: CustomerSort };
export type Elasticity = {
  scope: "product" | "category";
  key: string;
  name: string | null;
  category: string | null;
  status: "estimated" | "unknown";
  reason: string | null;
  elasticity: number | null;
  ci_low: number | null;
  ci_high: number | null;
  weeks: number;
  price_levels: number;
  price_spread: number;
  units: number;
  reference_price: string | null;
};

export function useCustomerSegments(shopId: number) {
  return useQuery({
    queryKey: keys.customers.segments(shopId),
    queryFn: ({ signal }) => apiFetch<Segments>(`/api/shops/${shopId}/customers/segments`, { signal }),
  });
}

export function useAtRiskCustomers(shopId: number, filters: AtRiskFilters) {
  const query = useInfiniteQuery({
    queryKey: keys.customers.atRisk(shopId, filters),
    queryFn: ({ pageParam, signal }) =>
      apiFetch<Page<CustomerRow>>(`/api/shops/${shopId}/customers/at-risk`, {
        params: { ...filters, cursor: pageParam, limit: 100 },
        signal,
      }),
    initialPageParam: firstCursor,
    getNextPageParam: nextCursor,
  });
  return { ...query, items: flatItems(query.data) };
}

/** The CSV export streams from the API; the browser downloads it from this URL. */
export function atRiskCsvUrl(shopId: number, filters: AtRiskFilters): string {
  return apiUrl(`/api/shops/${shopId}/customers/at-risk.csv`, filters);
}

export function useCustomer(shopId: number, key: string | null) {
  return useQuery({
    queryKey: keys.customers.detail(shopId, key ?? ""),
    queryFn: ({ signal }) =>
      apiFetch<CustomerDetail>(`/api/shops/${shopId}/customers/${encodeURIComponent(key ?? "")}`, { signal }),
    enabled: Boolean(key),
  });
}

export function usePriceSensitivity(shopId: number, scope: Elasticity["scope"]) {
  const query = useInfiniteQuery({
    queryKey: keys.customers.priceSensitivity(shopId, scope),
    queryFn: ({ pageParam, signal }) =>
      apiFetch<Page<Elasticity>>(`/api/shops/${shopId}/price-sensitivity`, {
        params: { scope, cursor: pageParam, limit: 100 },
        signal,
      }),
    initialPageParam: firstCursor,
    getNextPageParam: nextCursor,
  });
  return { ...query, items: flatItems(query.data) };
}

export function useCustomerReports(shopId: number) {
  const query = useInfiniteQuery({
    queryKey: keys.customers.reports(shopId),
    queryFn: ({ pageParam, signal }) =>
      apiFetch<Page<ModelReport>>(`/api/shops/${shopId}/customers/reports`, {
        params: { cursor: pageParam, limit: 50 },
        signal,
      }),
    initialPageParam: firstCursor,
    getNextPageParam: nextCursor,
  });
  return { ...query, items: flatItems(query.data) };
}

export type AnalysisStarted = { workflow_id: string; run_id: string | null; started: boolean };

/** The latest analysis with its live progress, "Run analysis now", and one refresh of the
 * page when a run ends (see useRunProgress). */
export function useCustomerAnalysis(shopId: number) {
  return useRunProgress<AnalysisState, AnalysisStarted>({
    stateKey: keys.customers.analysis(shopId),
    fetchState: (signal) => apiFetch<AnalysisState>(`/api/shops/${shopId}/customers/analysis`, { signal }),
    view: (state) => ({ running: state.report?.status === "running", runId: state.report?.id ?? null }),
    startRun: () => apiFetch<AnalysisStarted>(`/api/shops/${shopId}/customers/analysis`, { method: "POST" }),
    refreshKey: keys.customers.all(shopId),
  });
}
