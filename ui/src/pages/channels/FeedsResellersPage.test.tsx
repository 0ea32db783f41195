/** The Feeds & resellers page: the feed addresses and saving carriers, a reseller's new key shown
 * once, revoking a key, the owner-only resellers panel, and Czech. */

import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ME, fakeApi, type Handler } from "../../test/api";
import { renderApp } from "../../test/render";
import { carriersText, parseCarriers } from "./FeedsResellersPage";

afterEach(() => {
  vi.unstubAllGlobals();
  window.localStorage.clear();
});

const OWNER = { ...ME, shops: [{ id: 1, name: "Alpha shop", eshop_id: 111, role: "owner" }] };
const FEEDS = {
  enabled: true,
  urls: {
    heureka: "https://shopops.example/feeds/tok/heureka.xml",
    zbozi: "https://shopops.example/feeds/tok/zbozi.xml",
    google: "https://shopops.example/feeds/tok/google.xml",
    idealo: "https://shopops.example/feeds/tok/idealo.csv",
  },
  delivery: [{ id: "PPL", price: "89.00", price_cod: "119.00" }],
  out_of_stock_days: 14,
  generated_at: "2026-12-01T10:20:00Z",
  items: { heureka: 1200 },
};
const RESELLER = {
  id: 3, name: "Velkoobchod Šťastný", email: "b2b@example.cz", price_list_id: 3, discount_percent: "10.00",
  created_at: "2026-12-01T10:00:00Z", revoked_at: null,
  keys: [{ id: 9, name: "ERP", prefix: "b2b_AbCdEfGh", created_at: "2026-12-01T10:00:00Z", last_used_at: null, revoked_at: null }],
};  // prettier-ignore

function api(routes: Record<string, Handler> = {}) {
  return fakeApi({
    "GET /api/auth/me": { body: OWNER },
    "GET /api/shops/1/feeds": { body: FEEDS },
    "GET /api/shops/1/resellers": { body: [RESELLER] },
    ...routes,
  });
}

describe("carriers text", () => {
  it("reads ID;price;COD lines and writes them back", () => {
    expect(parseCarriers("ppl;89;119\nZASILKOVNA; 69,50\n\n")).toEqual([
      { id: "PPL", price: "89", price_cod: "119" },
      { id: "ZASILKOVNA", price: "69.50", price_cod: null },
    ]);
    expect(carriersText([{ id: "PPL", price: "89", price_cod: null }])).toBe("PPL;89");
  });
});

describe("feeds and resellers page", () => {
  it("shows the feed addresses and saves the carriers", async () => {
    const fake = api({ "PUT /api/shops/1/feeds": { body: FEEDS } });
    renderApp("/shops/1/feeds-resellers");
    expect(await screen.findByText(FEEDS.urls.heureka)).toBeInTheDocument();
    expect(screen.getByText("1,200 items")).toBeInTheDocument();
    const carriers = screen.getByLabelText(/Carriers/);
    await waitFor(() => expect(carriers).toHaveValue("PPL;89.00;119.00"));
    fireEvent.change(carriers, { target: { value: "PPL;89;119\ndpd;99" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(fake.callsTo("PUT /api/shops/1/feeds")).toHaveLength(1));
    expect(fake.callsTo("PUT /api/shops/1/feeds")[0]?.body).toEqual({
      enabled: true,
      out_of_stock_days: 14,
      delivery: [
        { id: "PPL", price: "89", price_cod: "119" },
        { id: "DPD", price: "99", price_cod: null },
      ],
    });
  });

  it("shows a new key once and revokes a key", async () => {
    const fake = api({
      "POST /api/shops/1/resellers/3/keys": {
        status: 201,
        body: { ...RESELLER.keys[0], id: 10, name: "New key", key: "b2b_the-secret-shown-once" },
      },
      "DELETE /api/shops/1/resellers/3/keys/9": { status: 204 },
    });
    renderApp("/shops/1/feeds-resellers");
    const row = (await screen.findByText("Velkoobchod Šťastný")).closest("tr") as HTMLElement;
    fireEvent.click(within(row).getByRole("button", { name: "New key" }));
    expect(await screen.findByText("b2b_the-secret-shown-once")).toBeInTheDocument();
    fireEvent.click(within(row).getByRole("button", { name: "Revoke key b2b_AbCdEfGh" }));
    await waitFor(() => expect(fake.callsTo("DELETE /api/shops/1/resellers/3/keys/9")).toHaveLength(1));
  });

  it("keeps resellers to the owner", async () => {
    const fake = api({ "GET /api/auth/me": { body: ME } }); // a manager of shop 1
    renderApp("/shops/1/feeds-resellers");
    expect(await screen.findByText("Only the shop's owner manages resellers.")).toBeInTheDocument();
    expect(fake.callsTo("GET /api/shops/1/resellers")).toHaveLength(0);
  });

  it("speaks Czech", async () => {
    window.localStorage.setItem("shopops.locale", "cs");
    api();
    renderApp("/shops/1/feeds-resellers");
    expect(await screen.findByText("Katalogové feedy")).toBeInTheDocument();
    expect(await screen.findByText("Velkoodběratelé (B2B API)")).toBeInTheDocument();
  });
});
