/** The orders page turns its URL filters into API filters and pages with cursors. */

import { screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeApi } from "../../test/api";
import { renderApp } from "../../test/render";
import { dayStart, toApiFilters } from "./OrdersPage";

afterEach(() => vi.unstubAllGlobals());

describe("toApiFilters", () => {
  it("sends the picked days as instants, the end day included, and ignores too short text", () => {
    const filters = toApiFilters({ from: "2024-03-01", to: "2024-03-31", status: "3", channel: null, q: "ab" });
    expect(filters).toEqual({
      created_from: dayStart("2024-03-01"),
      created_to: dayStart("2024-04-01"),
      status_id: 3,
    });
    expect(new Date(filters.created_to ?? "").getTime() - new Date(filters.created_from ?? "").getTime()).toBeGreaterThan(30 * 86400_000 - 7200_000);
    expect(toApiFilters({ from: null, to: null, status: null, channel: null, q: "  novak " })).toEqual({ q: "novak" });
    expect(toApiFilters({ from: null, to: null, status: null, channel: "woocommerce", q: "" })).toEqual({ channel: "woocommerce" });
    expect(toApiFilters({ from: null, to: null, status: null, channel: "ebay", q: "" })).toEqual({});
  });
});

describe("orders page", () => {
  it("asks for the first page with the URL's filters and shows the empty state", async () => {
    const api = fakeApi({
      "GET /api/shops/1/orders": { body: { items: [], next_cursor: null } },
      "GET /api/shops/1/order-statuses": { body: [{ id: 3, name: "Vyřízena", count: 10 }] },
      "GET /api/shops/1/counts": { body: { orders: 0, customers: 0, products: 0 } },
    });
    renderApp("/shops/1/orders?status=3&q=novak");
    expect(await screen.findByTestId("empty-state")).toBeInTheDocument();
    await waitFor(() => expect(api.callsTo("GET /api/shops/1/orders")).toHaveLength(1));
    const params = api.callsTo("GET /api/shops/1/orders")[0]?.url.searchParams;
    expect(params?.get("status_id")).toBe("3");
    expect(params?.get("q")).toBe("novak");
    expect(params?.has("cursor")).toBe(false);
    expect(params?.has("offset")).toBe(false);
  });

  it("opens the order drawer with items from ?order=", async () => {
    fakeApi({
      "GET /api/shops/1/orders": { body: { items: [], next_cursor: null } },
      "GET /api/shops/1/orders/2024001": {
        body: {
          code: "2024001", created_at: "2024-03-05T10:00:00Z", status_id: 1, status_name: "Nová",
          billing_name: "Jan Novák", email: "jan@example.cz", total_with_vat: "1210.00", currency: "CZK",
          paid: true, item_count: 1,
          items: [{ item_id: 1, item_type: "product", code: "HR-1", name: "Hrnek", variant_name: "modrý", amount: "2.000", unit_price_with_vat: "605.00", price_with_vat: "1210.00", vat_rate: "21.00" }],
        },
      },
    });
    renderApp("/shops/1/orders?order=2024001");
    const items = await screen.findByTestId("order-items");
    expect(items).toHaveTextContent("Hrnek");
    expect(items).toHaveTextContent("HR-1 · modrý");
    expect(screen.getByTestId("order-total")).toHaveTextContent("CZK 1,210.00");
  });

  it("writes the delivery address in letter order and the item types in Czech", async () => {
    window.localStorage.setItem("shopops.locale", "cs");
    fakeApi({
      "GET /api/shops/1/orders": { body: { items: [], next_cursor: null } },
      "GET /api/shops/1/orders/2024002": {
        body: {
          code: "2024002", created_at: "2024-03-05T10:00:00Z", status_id: 1, status_name: "Nová",
          billing_name: "Jana Zemanová", email: "jana@example.cz", total_with_vat: "99.00", currency: "CZK",
          paid: false, item_count: 2,
          billing_address: { name: "Jana Zemanová", company: null, city: "Čelákovice", zip: "250 88", country: "CZ" },
          // keys as JSONB returns them (shortest first): the drawer once printed them in this order
          delivery_address: { zip: "250 88", city: "Čelákovice", street: "Sokolská", company: "Zeman s.r.o.", fullName: "Jana Zemanová", countryCode: "CZ", houseNumber: "7" },
          items: [
            { item_id: 1, item_type: "product", code: "HR-1", name: "Hrnek", variant_name: null, amount: "1.000", unit_price_with_vat: "20.00", price_with_vat: "20.00", vat_rate: "21.00" },
            { item_id: 2, item_type: "shipping", code: null, name: "PPL", variant_name: null, amount: "1.000", unit_price_with_vat: "79.00", price_with_vat: "79.00", vat_rate: "21.00" },
          ],
        },
      },
    });
    renderApp("/shops/1/orders?order=2024002");
    const items = await screen.findByTestId("order-items");
    expect(items).toHaveTextContent("HR-1 · zboží");
    expect(items).toHaveTextContent("doprava");
    expect(items).not.toHaveTextContent("shipping");
    const [billing, delivery] = screen.getAllByTestId("address");
    const lines = (el: HTMLElement | undefined) => Array.from(el?.querySelectorAll("p") ?? []).map((p) => p.textContent);
    expect(lines(delivery)).toEqual(["Doručení", "Jana Zemanová", "Zeman s.r.o.", "Sokolská 7", "250 88 Čelákovice", "Česko"]);
    expect(lines(billing)).toEqual(["Fakturace", "Jana Zemanová", "250 88 Čelákovice", "Česko", "jana@example.cz"]);
  });
});
