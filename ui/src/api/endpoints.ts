/** Outbound webhook endpoints: register, switch on and off, the delivery log, replay. */

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { apiFetch } from "./client";

export const ENDPOINT_EVENTS = [
  "order.created",
  "order.changed",
  "stock.low",
  "snapshot.finished",
  "purchase_order.received",
] as const;

export type Endpoint = {
  id: number;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  disabled_reason: string | null;
  consecutive_failures: number;
  created_at: string;
};
export type EndpointCreated = Endpoint & { secret: string };
export type Delivery = {
  id: number;
  event: string;
  event_id: string;
  status: "pending" | "delivered" | "gave_up" | "cancelled";
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  replay_of: number | null;
  created_at: string;
  finished_at: string | null;
};

const base = (shopId: number) => `/api/shops/${shopId}/webhook-endpoints`;
const key = (shopId: number) => ["webhook-endpoints", shopId] as const;

export function useEndpoints(shopId: number) {
  return useQuery({
    queryKey: [...key(shopId), "list"],
    queryFn: ({ signal }) => apiFetch<Endpoint[]>(base(shopId), { signal }),
  });
}

export function useDeliveries(shopId: number, endpointId: number | null) {
  return useQuery({
    queryKey: [...key(shopId), "deliveries", endpointId],
    queryFn: ({ signal }) => apiFetch<Delivery[]>(`${base(shopId)}/${endpointId}/deliveries`, { signal }),
    enabled: endpointId !== null,
    refetchInterval: (query) => (query.state.data?.some((d) => d.status === "pending") ? 2000 : false),
  });
}

export function useEndpointActions(shopId: number) {
  const client = useQueryClient();
  const refresh = () => client.invalidateQueries({ queryKey: key(shopId) });
  return {
    create: useMutation({
      mutationFn: (body: { url: string; events: string[]; description?: string }) =>
        apiFetch<EndpointCreated>(base(shopId), { method: "POST", body }),
      onSuccess: refresh,
    }),
    setEnabled: useMutation({
      mutationFn: ({ id, enabled }: { id: number; enabled: boolean }) =>
        apiFetch<Endpoint>(`${base(shopId)}/${id}`, { method: "PATCH", body: { enabled } }),
      onSuccess: refresh,
    }),
    remove: useMutation({
      mutationFn: (id: number) => apiFetch<null>(`${base(shopId)}/${id}`, { method: "DELETE" }),
      onSuccess: refresh,
    }),
    ping: useMutation({
      mutationFn: (id: number) => apiFetch<Delivery>(`${base(shopId)}/${id}/ping`, { method: "POST" }),
      onSuccess: refresh,
    }),
    replay: useMutation({
      mutationFn: ({ endpointId, deliveryId }: { endpointId: number; deliveryId: number }) =>
        apiFetch<Delivery>(`${base(shopId)}/${endpointId}/deliveries/${deliveryId}/replay`, { method: "POST" }),
      onSuccess: refresh,
    }),
  };
}
