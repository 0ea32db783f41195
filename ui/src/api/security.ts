/** The caller's API tokens and password, and the admins' audit log. */

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { apiFetch } from "./client";
import { keys, type AuditFilters } from "./keys";
import { firstCursor, flatItems, nextCursor } from "./pages";
import type { ApiToken, AuditEvent, NewApiToken, Page } from "./types";

export function useApiTokens() {
  return useQuery({
    queryKey: keys.apiTokens(),
    queryFn: ({ signal }) => apiFetch<ApiToken[]>("/api/auth/tokens", { signal }),
  });
}

export function useCreateApiToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; days: number | null }) =>
      apiFetch<NewApiToken>("/api/auth/tokens", { method: "POST", body }),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.apiTokens() }),
  });
}

export function useRevokeApiToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => apiFetch<ApiToken>(`/api/auth/tokens/${id}`, { method: "DELETE" }),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.apiTokens() }),
  });
}

export function useChangePassword() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { current_password: string; new_password: string }) =>
      apiFetch<void>("/api/auth/password", { method: "POST", body }),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.apiTokens() }),
  });
}

export function useAuditEvents(filters: AuditFilters) {
  const query = useInfiniteQuery({
    queryKey: keys.auditEvents(filters),
    queryFn: ({ pageParam, signal }) =>
      apiFetch<Page<AuditEvent>>("/api/admin/audit-events", {
        params: { action: filters.action, cursor: pageParam, limit: 100 },
        signal,
      }),
    initialPageParam: firstCursor,
    getNextPageParam: nextCursor,
  });
  return { ...query, items: flatItems(query.data) };
}
