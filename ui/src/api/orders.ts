/** Orders: cursor pages (never offsets), one order with items, and the status filter's options. */

import { useInfiniteQuery, useQuery } from "@tanstack/react-query";

import { apiFetch } from "./client";
import { keys } from "./keys";
import { firstCursor, flatItems, nextCursor } from "./pages";
import type { Order, OrderFilters, OrderRow, OrderStatus, Page } from "./types";

/** Rows per cursor page (the API allows up to 500). */
export const ORDERS_PAGE_SIZE = 500;

export function useOrders(shopId: number, filters: OrderFilters) {
  const query = useInfiniteQuery({
    queryKey: keys.orders.list(shopId, filters),
    queryFn: ({ pageParam, signal }) =>
      apiFetch<Page<OrderRow>>(`/api/shops/${shopId}/orders`, {
        params: { ...filters, cursor: pageParam, limit: ORDERS_PAGE_SIZE },
        signal,
      }),
    initialPageParam: firstCursor,
    getNextPageParam: nextCursor,
  });
  return { ...query, items: flatItems(query.data) };
}

export function useOrder(shopId: number, code: string | undefined) {
  return useQuery({
    queryKey: keys.orders.detail(shopId, code ?? ""),
    queryFn: ({ signal }) =>
      apiFetch<Order>(`/api/shops/${shopId}/orders/${encodeURIComponent(code ?? "")}`, { signal }),
    enabled: Boolean(code),
  });
}

export function useOrderStatuses(shopId: number) {
  return useQuery({
    queryKey: keys.orders.statuses(shopId),
    queryFn: ({ signal }) => apiFetch<OrderStatus[]>(`/api/shops/${shopId}/order-statuses`, { signal }),
    staleTime: 60_000,
  });
}
