/** Weekly sales reports of a shop: the list, one report, "generate now". */

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { apiFetch, apiUrl } from "./client";
import { reportKeys } from "./keys";

export type ReportBrief = {
  id: number;
  kind: string;
  period_start: string;
  period_end: string;
  revenue: string;
  orders: number;
  currency: string;
  summarized: boolean;
  emailed_to: number;
  created_at: string;
};

export type ReportData = {
  revenue: string;
  orders: number;
  average_order_value: string;
  currency: string;
  previous_revenue: string;
  previous_orders: number;
  daily: { day: string; orders: number; revenue: string }[];
  channels: { channel: string; orders: number; revenue: string }[];
  top_products: { code: string; name: string; quantity: string; revenue: string }[];
  at_risk_customers: { customer: string; churn_risk: number; value_at_risk: string; last_order: string }[];
  stockouts: { code: string; name: string | null; on_hand: string | null; order_by: string; quantity: string; supplier: string | null }[];
};

export type Report = ReportBrief & { data: ReportData; summary: string | null };

export function useReports(shopId: number) {
  return useQuery({
    queryKey: reportKeys.all(shopId),
    queryFn: ({ signal }) => apiFetch<ReportBrief[]>(`/api/shops/${shopId}/reports`, { signal }),
  });
}

export function useReport(shopId: number, id: number | null, lang: string) {
  return useQuery({
    queryKey: reportKeys.detail(shopId, id ?? 0, lang),
    queryFn: ({ signal }) => apiFetch<Report>(`/api/shops/${shopId}/reports/${id}`, { params: { lang }, signal }),
    enabled: id !== null,
  });
}

export function reportFileUrl(shopId: number, id: number, kind: "pdf" | "html", lang: string): string {
  return apiUrl(`/api/shops/${shopId}/reports/${id}/${kind}`, { lang });
}

export function useGenerateReport(shopId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () =>
      apiFetch<{ workflow_id: string }>(`/api/shops/${shopId}/reports/generate`, { method: "POST", body: {} }),
    onSuccess: () => client.invalidateQueries({ queryKey: reportKeys.all(shopId) }),
  });
}
