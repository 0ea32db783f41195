/** Webhook events a shop received, as stored before they were handled. */

import { useInfiniteQuery } from "@tanstack/react-query";

import { apiFetch } from "./client";
import { keys } from "./keys";
import { firstCursor, flatItems, nextCursor } from "./pages";
import type { Page, WebhookEvent, WebhookStatus } from "./types";

export function useWebhookEvents(shopId: number, status: WebhookStatus | undefined) {
  const query = useInfiniteQuery({
    queryKey: keys.webhookEvents.list(shopId, status),
    queryFn: ({ pageParam, signal }) =>
      apiFetch<Page<WebhookEvent>>(`/api/shops/${shopId}/webhook-events`, {
        params: { status, cursor: pageParam, limit: 50 },
        signal,
      }),
    initialPageParam: firstCursor,
    getNextPageParam: nextCursor,
  });
  return { ...query, items: flatItems(query.data) };
}
