/** Catalog feeds (settings, URLs, generate now) and resellers of the B2B API (price list
 * discount, API keys shown once, revocation). Every change refreshes its resource. */

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { apiFetch } from "./client";
import { keys } from "./keys";

export type FeedFormat = "heureka" | "zbozi" | "google" | "idealo";
export type Carrier = { id: string; price: string; price_cod: string | null };
export type FeedSettings = {
  enabled: boolean;
  urls: Record<FeedFormat, string>;
  delivery: Carrier[];
  out_of_stock_days: number;
  generated_at: string | null;
  items: Partial<Record<FeedFormat, number>>;
};
export type FeedSettingsInput = {
  enabled: boolean;
  delivery: Carrier[];
  out_of_stock_days: number;
};

export type ResellerKey = {
  id: number;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
};
export type NewResellerKey = ResellerKey & { key: string };
export type Reseller = {
  id: number;
  name: string;
  email: string | null;
  price_list_id: number;
  discount_percent: string;
  created_at: string;
  revoked_at: string | null;
  keys: ResellerKey[];
};
export type ResellerInput = { name: string; email: string | null; discount_percent: string };

const feedsPath = (shopId: number) => `/api/shops/${shopId}/feeds`;
const resellersPath = (shopId: number) => `/api/shops/${shopId}/resellers`;

export function useFeedSettings(shopId: number) {
  return useQuery({
    queryKey: keys.channels.feeds(shopId),
    queryFn: ({ signal }) => apiFetch<FeedSettings | null>(feedsPath(shopId), { signal }),
  });
}

function useRefresh(queryKey: readonly unknown[]) {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey });
}

export function useSaveFeedSettings(shopId: number) {
  const refresh = useRefresh(keys.channels.feeds(shopId));
  return useMutation({
    mutationFn: (values: FeedSettingsInput) =>
      apiFetch<FeedSettings>(feedsPath(shopId), { method: "PUT", body: values }),
    onSuccess: refresh,
  });
}

export function useRotateFeedToken(shopId: number) {
  const refresh = useRefresh(keys.channels.feeds(shopId));
  return useMutation({
    mutationFn: () => apiFetch<FeedSettings>(`${feedsPath(shopId)}/token`, { method: "POST" }),
    onSuccess: refresh,
  });
}

export function useGenerateFeeds(shopId: number) {
  return useMutation({
    mutationFn: () =>
      apiFetch<{ workflow_id: string; run_id: string | null }>(`${feedsPath(shopId)}/generate`, {
        method: "POST",
      }),
  });
}

export function useResellers(shopId: number, enabled: boolean) {
  return useQuery({
    queryKey: keys.channels.resellers(shopId),
    queryFn: ({ signal }) => apiFetch<Reseller[]>(resellersPath(shopId), { signal }),
    enabled,
  });
}

export function useCreateReseller(shopId: number) {
  const refresh = useRefresh(keys.channels.resellers(shopId));
  return useMutation({
    mutationFn: (values: ResellerInput) =>
      apiFetch<Reseller>(resellersPath(shopId), { method: "POST", body: values }),
    onSuccess: refresh,
  });
}

export function useRevokeReseller(shopId: number) {
  const refresh = useRefresh(keys.channels.resellers(shopId));
  return useMutation({
    mutationFn: (resellerId: number) =>
      apiFetch<void>(`${resellersPath(shopId)}/${resellerId}`, { method: "DELETE" }),
    onSuccess: refresh,
  });
}

export function useCreateResellerKey(shopId: number) {
  const refresh = useRefresh(keys.channels.resellers(shopId));
  return useMutation({
    mutationFn: ({ resellerId, name }: { resellerId: number; name: string }) =>
      apiFetch<NewResellerKey>(`${resellersPath(shopId)}/${resellerId}/keys`, {
        method: "POST",
        body: { name },
      }),
    onSuccess: refresh,
  });
}

export function useRevokeResellerKey(shopId: number) {
  const refresh = useRefresh(keys.channels.resellers(shopId));
  return useMutation({
    mutationFn: ({ resellerId, keyId }: { resellerId: number; keyId: number }) =>
      apiFetch<void>(`${resellersPath(shopId)}/${resellerId}/keys/${keyId}`, { method: "DELETE" }),
    onSuccess: refresh,
  });
}
