/** Notifications: the list, the unread count for the header badge, marking read. */

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { apiFetch } from "./client";
import { keys, type NotificationFilters, reportKeys } from "./keys";
import { firstCursor, flatItems, nextCursor } from "./pages";
import type { Notification, Page } from "./types";

/** The badge counts up to this many unread notifications and then shows "99+". */
export const UNREAD_CAP = 100;

export function useNotifications(filters: NotificationFilters) {
  const query = useInfiniteQuery({
    queryKey: keys.notifications.list(filters),
    queryFn: ({ pageParam, signal }) =>
      apiFetch<Page<Notification>>("/api/notifications", {
        params: { unread: filters.unread ? true : undefined, cursor: pageParam, limit: 50 },
        signal,
      }),
    initialPageParam: firstCursor,
    getNextPageParam: nextCursor,
  });
  return { ...query, items: flatItems(query.data) };
}

export function useUnreadCount(enabled = true) {
  return useQuery({
    queryKey: keys.notifications.unread(),
    queryFn: async ({ signal }) => {
      const page = await apiFetch<Page<Notification>>("/api/notifications", {
        params: { unread: true, limit: UNREAD_CAP },
        signal,
      });
      return { count: page.items.length, more: page.next_cursor !== null };
    },
    refetchInterval: 30_000,
    enabled,
  });
}

export function useMarkRead() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => apiFetch<void>(`/api/notifications/${id}/read`, { method: "POST" }),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.notifications.all() }),
  });
}

export function useMarkAllRead() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => apiFetch<void>("/api/notifications/read-all", { method: "POST" }),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.notifications.all() }),
  });
}

export type PreferenceRule = { kind: string; min_level: string; channels: string[] };
export type Preferences = {
  rules: PreferenceRule[];
  slack_webhook_set: boolean;
  channels: string[];
  levels: string[];
  kinds: { kind: string; description: string }[];
};

export function usePreferences() {
  return useQuery({
    queryKey: reportKeys.preferences(),
    queryFn: ({ signal }) => apiFetch<Preferences>("/api/notifications/preferences", { signal }),
  });
}

export function useSavePreferences() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { rules: PreferenceRule[]; slack_webhook_url?: string }) =>
      apiFetch<Preferences>("/api/notifications/preferences", { method: "PUT", body }),
    onSuccess: (saved) => client.setQueryData(reportKeys.preferences(), saved),
  });
}
