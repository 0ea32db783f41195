/** Metered outbound calls: a shop's usage per kind and day, and the budgets admins set. */

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { apiFetch } from "./client";
import { reportKeys } from "./keys";

export type Usage = {
  kind: string;
  day: string;
  used: number;
  refused: number;
  limit: number | null;
  share: number | null;
};

export type ShopUsage = { shop_id: number; shop_name: string; usage: Usage[] };

export const METERED_KINDS = ["shoptet_calls", "emails", "webhook_deliveries", "ai_tokens"] as const;

export function useShopUsage(shopId: number) {
  return useQuery({
    queryKey: reportKeys.usage(shopId),
    queryFn: ({ signal }) => apiFetch<Usage[]>(`/api/shops/${shopId}/usage`, { signal }),
    refetchInterval: 60_000,
  });
}

export function useAllUsage() {
  return useQuery({
    queryKey: reportKeys.allUsage(),
    queryFn: ({ signal }) => apiFetch<ShopUsage[]>("/api/usage", { signal }),
    refetchInterval: 60_000,
  });
}

export function useSetBudget(shopId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ kind, limit }: { kind: string; limit: number | null }) =>
      apiFetch<void>(`/api/shops/${shopId}/usage/budgets/${kind}`, { method: "PUT", body: { daily_limit: limit } }),
    onSuccess: () => client.invalidateQueries({ queryKey: ["usage"] }),
  });
}
