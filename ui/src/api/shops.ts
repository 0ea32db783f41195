/** Shops the caller may see and their row counts. */

import { useQuery } from "@tanstack/react-query";

import { apiFetch } from "./client";
import { keys } from "./keys";
import type { Shop, ShopCounts } from "./types";

export function useShops() {
  return useQuery({
    queryKey: keys.shops.all(),
    queryFn: ({ signal }) => apiFetch<Shop[]>("/api/shops", { signal }),
  });
}

export function useShop(shopId: number) {
  return useQuery({
    queryKey: keys.shops.detail(shopId),
    queryFn: ({ signal }) => apiFetch<Shop>(`/api/shops/${shopId}`, { signal }),
  });
}

export function useShopCounts(shopId: number) {
  return useQuery({
    queryKey: keys.shops.counts(shopId),
    queryFn: ({ signal }) => apiFetch<ShopCounts>(`/api/shops/${shopId}/counts`, { signal }),
  });
}
