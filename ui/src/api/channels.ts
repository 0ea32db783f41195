/** Sales channel connections of a shop (WooCommerce stores): list, add, remove, sync now with
 * live progress (useRunProgress), and orders that came in with nothing left to reserve. */

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { useRunProgress } from "../components/useRunProgress";
import { apiFetch } from "./client";
import { keys } from "./keys";
import type { SalesChannel } from "./types";

export type ChannelConnection = {
  id: number;
  kind: "woocommerce";
  name: string;
  base_url: string;
  key_hint: string;
  status: "active" | "failing";
  last_error: string | null;
  last_error_at: string | null;
  last_sync_at: string | null;
  orders_cursor: string | null;
  orders_imported: number;
  sync_interval_minutes: number;
  stock_push_enabled: boolean;
  catalog_push_enabled: boolean;
  created_at: string;
};
/** A connection's settings as sent by PATCH: only what changed; the keys are write-only. */
export type ChannelSettingsInput = Partial<{
  name: string;
  sync_interval_minutes: number;
  stock_push_enabled: boolean;
  catalog_push_enabled: boolean;
  consumer_key: string;
  consumer_secret: string;
}>;
export type ChannelConnectionInput = {
  kind: "woocommerce";
  name: string;
  base_url: string;
  consumer_key: string;
  consumer_secret: string;
};
export type ChannelSyncProgress = {
  phase: "starting" | "orders" | "listings" | "pushing" | "catalog" | "done" | "failed";
  orders_total: number;
  orders_imported: number;
  oversold: number;
  pages_done: number;
  pages_total: number;
  listings: number;
  stock_pushed: number;
  error: string | null;
  catalog_pushed?: number;
};
export type ChannelStatus = {
  connection: ChannelConnection;
  workflow_id: string;
  run_id: string | null;
  running: boolean;
  run_status: string | null;
  progress: ChannelSyncProgress | null;
};
export type SyncStarted = { workflow_id: string; run_id: string | null; started: boolean };
export type OversoldLine = {
  channel: string;
  order_code: string;
  variant_code: string;
  quantity: string;
  available_before: string;
  created_at: string;
};

function base(shopId: number): string {
  return `/api/shops/${shopId}/channels`;
}

export function useChannels(shopId: number) {
  return useQuery({
    queryKey: keys.channels.list(shopId),
    queryFn: ({ signal }) => apiFetch<ChannelConnection[]>(base(shopId), { signal }),
  });
}

export type ChannelOrderCount = { channel: SalesChannel; orders: number };

/** The shop's orders per channel (hot and archived). */
export function useChannelOrderCounts(shopId: number) {
  return useQuery({
    queryKey: keys.channels.orders(shopId),
    queryFn: ({ signal }) => apiFetch<ChannelOrderCount[]>(`${base(shopId)}/orders`, { signal }),
  });
}

export type ChannelSales = { channel: SalesChannel; currency: string; orders: number; revenue: string };
export type SalesPeriod = { created_from?: string; created_to?: string };

/** Orders (not cancelled) and revenue with VAT per channel and currency in a period. */
export function useChannelSales(shopId: number, period: SalesPeriod) {
  return useQuery({
    queryKey: keys.channels.sales(shopId, period),
    queryFn: ({ signal }) => apiFetch<ChannelSales[]>(`${base(shopId)}/sales`, { params: period, signal }),
  });
}

export function useOversold(shopId: number) {
  return useQuery({
    queryKey: keys.channels.oversold(shopId),
    queryFn: ({ signal }) => apiFetch<OversoldLine[]>(`${base(shopId)}/oversold`, { signal }),
  });
}

function useRefresh(shopId: number) {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: keys.channels.all(shopId) });
}

export function useAddChannel(shopId: number) {
  const refresh = useRefresh(shopId);
  return useMutation({
    mutationFn: (values: ChannelConnectionInput) =>
      apiFetch<ChannelConnection>(base(shopId), { method: "POST", body: values }),
    onSuccess: refresh,
  });
}

export function useUpdateChannel(shopId: number, connectionId: number) {
  const refresh = useRefresh(shopId);
  return useMutation({
    mutationFn: (values: ChannelSettingsInput) =>
      apiFetch<ChannelConnection>(`${base(shopId)}/${connectionId}`, { method: "PATCH", body: values }),
    onSuccess: refresh,
  });
}

export function useRemoveChannel(shopId: number) {
  const refresh = useRefresh(shopId);
  return useMutation({
    mutationFn: (id: number) => apiFetch<void>(`${base(shopId)}/${id}`, { method: "DELETE" }),
    onSuccess: refresh,
  });
}

/** One connection's latest sync with live progress, "Sync now", and one refresh of the page's
 * lists when the sync ends. */
export function useChannelSync(shopId: number, connectionId: number) {
  return useRunProgress<ChannelStatus, SyncStarted>({
    stateKey: keys.channels.status(shopId, connectionId),
    fetchState: (signal) => apiFetch<ChannelStatus>(`${base(shopId)}/${connectionId}/status`, { signal }),
    view: (state) => ({ running: state.running, runId: state.run_id }),
    startRun: () => apiFetch<SyncStarted>(`${base(shopId)}/${connectionId}/sync`, { method: "POST" }),
    refreshKey: keys.channels.all(shopId),
  });
}
