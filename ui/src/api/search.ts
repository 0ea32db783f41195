/** Global search over the caller's products, orders and customers (GET /api/search). */

import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { apiFetch } from "./client";

export type SearchKind = "product" | "order" | "customer";

export type SearchHit = {
  shop_id: number;
  kind: SearchKind;
  ref: string;
  title: string;
  code: string | null;
  subtitle: string | null;
  status: string | null;
  price: string | null;
  score: number;
  highlight: string;
};

export type FacetCount = { value: string; count: number };

export type SearchAnswer = {
  query: string;
  hits: SearchHit[];
  facets: Record<"kind" | "status" | "category" | "brand" | "price", FacetCount[]>;
};

/** The API refuses longer queries; the box stops sending them. */
export const MAX_QUERY = 100;

export function useSearch(q: string) {
  const text = q.trim();
  return useQuery({
    queryKey: ["search", text] as const,
    queryFn: ({ signal }) => apiFetch<SearchAnswer>("/api/search", { params: { q: text, limit: 20 }, signal }),
    enabled: text.length > 0 && text.length <= MAX_QUERY,
    placeholderData: keepPreviousData,
    staleTime: 10_000,
  });
}

/** Where a hit opens: the order drawer, the variant's inventory view, the customer view. */
export function hitPath(hit: SearchHit): string {
  const shop = `/shops/${hit.shop_id}`;
  if (hit.kind === "order") return `${shop}/orders?order=${encodeURIComponent(hit.ref)}`;
  if (hit.kind === "customer") return `${shop}/customers?customer=${encodeURIComponent(hit.ref)}`;
  return hit.code
    ? `${shop}/inventory?variant=${encodeURIComponent(hit.code)}`
    : `${shop}/inventory`;
}
