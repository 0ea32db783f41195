/** Suppliers and their offers per variant (what the nightly planning buys from), and the CSV
 * import of offers. Changing them refreshes the lists; the next plan uses them. */

import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";

import { apiFetch } from "./client";
import { keys } from "./keys";
import { firstCursor, flatItems, nextCursor } from "./pages";
import type { Page } from "./types";

export type Supplier = {
  id: number;
  name: string;
  email: string | null;
  currency: string;
  lead_time_days: string;
  lead_time_sd_days: string;
  order_cost: string;
  offers: number;
} & DeliveryRecord;
/** What the nightly planning learnt from the purchase orders (null: not planned since). */
export type DeliveryRecord = {
  learnt_lead_time_days: number | null;
  learnt_lead_time_sd_days: number | null;
  on_time_rate: number | null;
  deliveries: number | null;
  late_deliveries: number | null;
  overdue_orders: number | null;
  learnt_at: string | null;
};
export type SupplierInput = {
  name: string;
  email: string | null;
  currency: string;
  lead_time_days: string;
  lead_time_sd_days: string;
  order_cost: string;
};

export type PriceBreak = { min_quantity: string; unit_price: string };
export type Offer = {
  supplier_id: number;
  variant_code: string;
  variant_name: string | null;
  unit_price: string;
  moq: string | null;
  pack_size: string | null;
  price_breaks: PriceBreak[];
  lead_time_days: string | null;
  lead_time_sd_days: string | null;
  supplier_stock?: string | null;
  updated_at: string;
} & Partial<DeliveryRecord>;
export type OfferInput = {
  unit_price: string;
  moq: string | null;
  pack_size: string | null;
  price_breaks: PriceBreak[];
  lead_time_days: string | null;
  lead_time_sd_days: string | null;
  supplier_stock?: string | null;
};
export type ImportResult = {
  imported: number;
  created: number;
  updated: number;
  rejected: { row: number; reason: string }[];
};

function base(shopId: number): string {
  return `/api/shops/${shopId}/suppliers`;
}

/** A variant code in a path: encoded, so "ABC/M" stays one segment. */
export function offerPath(shopId: number, supplierId: number, code: string): string {
  return `${base(shopId)}/${supplierId}/offers/${encodeURIComponent(code)}`;
}

export function useSuppliers(shopId: number) {
  const query = useInfiniteQuery({
    queryKey: keys.suppliers.list(shopId),
    queryFn: ({ pageParam, signal }) =>
      apiFetch<Page<Supplier>>(base(shopId), { params: { cursor: pageParam, limit: 100 }, signal }),
    initialPageParam: firstCursor,
    getNextPageParam: nextCursor,
  });
  return { ...query, items: flatItems(query.data) };
}

export function useOffers(shopId: number, supplierId: number | null) {
  const query = useInfiniteQuery({
    queryKey: keys.suppliers.offers(shopId, supplierId ?? 0),
    queryFn: ({ pageParam, signal }) =>
      apiFetch<Page<Offer>>(`${base(shopId)}/${supplierId}/offers`, {
        params: { cursor: pageParam, limit: 100 },
        signal,
      }),
    initialPageParam: firstCursor,
    getNextPageParam: nextCursor,
    enabled: supplierId !== null,
  });
  return { ...query, items: flatItems(query.data) };
}

function useRefresh(shopId: number) {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: keys.suppliers.all(shopId) });
}

/** Create (no id) or change a supplier. */
export function useSaveSupplier(shopId: number) {
  const refresh = useRefresh(shopId);
  return useMutation({
    mutationFn: ({ id, values }: { id: number | null; values: SupplierInput }) =>
      apiFetch<Supplier>(id === null ? base(shopId) : `${base(shopId)}/${id}`, {
        method: id === null ? "POST" : "PATCH",
        body: values,
      }),
    onSuccess: refresh,
  });
}

export function useDeleteSupplier(shopId: number) {
  const refresh = useRefresh(shopId);
  return useMutation({
    mutationFn: (id: number) => apiFetch<void>(`${base(shopId)}/${id}`, { method: "DELETE" }),
    onSuccess: refresh,
  });
}

export function useSaveOffer(shopId: number) {
  const refresh = useRefresh(shopId);
  return useMutation({
    mutationFn: ({ supplierId, code, offer }: { supplierId: number; code: string; offer: OfferInput }) =>
      apiFetch<Offer>(offerPath(shopId, supplierId, code), { method: "PUT", body: offer }),
    onSuccess: refresh,
  });
}

export function useDeleteOffer(shopId: number) {
  const refresh = useRefresh(shopId);
  return useMutation({
    mutationFn: ({ supplierId, code }: { supplierId: number; code: string }) =>
      apiFetch<void>(offerPath(shopId, supplierId, code), { method: "DELETE" }),
    onSuccess: refresh,
  });
}

/** Upload a CSV of offers; the answer lists the rows that were not imported and why. */
export function useImportOffers(shopId: number) {
  const refresh = useRefresh(shopId);
  return useMutation({
    mutationFn: (text: string) =>
      apiFetch<ImportResult>(`${base(shopId)}/offers/import`, {
        method: "POST",
        raw: { body: text, type: "text/csv" },
      }),
    onSuccess: refresh,
  });
}
