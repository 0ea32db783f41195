/** The orders page's split by channel: revenue and orders per channel and currency with each
 * channel's share, for the period the orders are filtered to, and in Czech. */

import { screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeApi } from "../../test/api";
import { renderApp } from "../../test/render";

afterEach(() => {
  vi.unstubAllGlobals();
  window.localStorage.clear();
});

const SALES = [
  { channel: "b2b", currency: "CZK", orders: 5, revenue: "1000.00" },
  { channel: "shoptet", currency: "CZK", orders: 120, revenue: "3000.00" },
  { channel: "woocommerce", currency: "EUR", orders: 3, revenue: "90.50" },
];

function api() {
  return fakeApi({
    "GET /api/shops/1/orders": { body: { items: [], next_cursor: null } },
    "GET /api/shops/1/channels/sales": { body: SALES },
  });
}

describe("sales by channel", () => {
  it("shows orders, revenue and the share of revenue per channel for the filtered period", async () => {
    const fake = api();
    renderApp("/shops/1/orders?from=2026-11-01&to=2026-11-30");
    const card = await screen.findByTestId("sales-by-channel");
    const rows = await within(card).findAllByTestId("sales-row");
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent("B2B");
    expect(rows[1]).toHaveTextContent("Shoptet");
    expect(rows[1]).toHaveTextContent("120");
    expect(rows[1]).toHaveTextContent("75 %"); // 3000 of the 4000 CZK
    expect(rows[2]).toHaveTextContent("100 %"); // the only EUR revenue: currencies are not added up
    expect(card).toHaveTextContent("in the filtered period");
    await waitFor(() => expect(fake.callsTo("GET /api/shops/1/channels/sales").length).toBeGreaterThan(0));
    const params = fake.callsTo("GET /api/shops/1/channels/sales")[0]?.url.searchParams;
    expect(params?.get("created_from")).toBeTruthy();
    expect(params?.get("created_to")).toBeTruthy();
    expect(params?.has("channel")).toBe(false);
  });

  it("speaks Czech", async () => {
    window.localStorage.setItem("shopops.locale", "cs");
    api();
    renderApp("/shops/1/orders");
    const card = await screen.findByTestId("sales-by-channel");
    expect(within(card).getByText("Prodeje podle kanálu")).toBeInTheDocument();
    expect(await within(card).findByText("Tržby s DPH")).toBeInTheDocument();
    expect(card).toHaveTextContent("všechny objednávky");
  });
});
