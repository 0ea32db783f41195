/** The Suppliers page: the list, adding a supplier, an offer with price breaks for a code with
 * "/", the CSV import with its rejected rows, the API's problems, viewers, and Czech. */

import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeApi, problem, type Handler } from "../../../test/api";
import { renderApp } from "../../../test/render";
import { decimalOrNull, offerInput } from "./SuppliersPage";

afterEach(() => {
  vi.unstubAllGlobals();
  window.localStorage.clear();
});

const BASE = "/api/shops/1/suppliers";
const SUPPLIER = {
  id: 4, name: "Levný dodavatel", email: "obchod@levny.example", currency: "CZK", lead_time_days: "12.00",
  lead_time_sd_days: "3.00", order_cost: "150.00", offers: 1,
};
const OFFER = {
  supplier_id: 4, variant_code: "HR-1", variant_name: "Hrnek", unit_price: "95.00", moq: "10.000", pack_size: null,
  price_breaks: [{ min_quantity: "50.000", unit_price: "90.00" }], lead_time_days: null, lead_time_sd_days: null,
  updated_at: "2026-12-01T10:00:00Z",
};

function api(routes: Record<string, Handler> = {}) {
  return fakeApi({
    [`GET ${BASE}`]: { body: { items: [SUPPLIER], next_cursor: null } },
    [`GET ${BASE}/4/offers`]: { body: { items: [OFFER], next_cursor: null } },
    ...routes,
  });
}

function type(label: string, value: string, within_: HTMLElement = document.body) {
  fireEvent.change(within(within_).getByLabelText(label, { exact: false }), { target: { value } });
}

describe("offer form values", () => {
  it("sends empty optional fields as null, decimal commas as points, and drops empty tiers", () => {
    expect(decimalOrNull(" 1 234,5 ")).toBe("1234.5");
    expect(decimalOrNull("")).toBeNull();
    expect(
      offerInput({
        code: "A", unit_price: "95,5", moq: "", pack_size: "6", lead_time_days: "", lead_time_sd_days: "",
        supplier_stock: "0",
        price_breaks: [{ min_quantity: "50", unit_price: "90" }, { min_quantity: "", unit_price: "" }],
      }),
    ).toEqual({
      unit_price: "95.5", moq: null, pack_size: "6", lead_time_days: null, lead_time_sd_days: null,
      supplier_stock: "0",
      price_breaks: [{ min_quantity: "50", unit_price: "90" }],
    });
  });
});

describe("suppliers page", () => {
  it("lists suppliers and a supplier's offers with price breaks and the supplier's lead time", async () => {
    api();
    renderApp("/shops/1/suppliers?supplier=4");
    const row = await screen.findByTestId("supplier-row");
    expect(row).toHaveTextContent("Levný dodavatel");
    expect(row).toHaveTextContent("12 ± 3");
    const offer = await screen.findByTestId("offer-row");
    expect(offer).toHaveTextContent("HR-1");
    expect(offer).toHaveTextContent("from 50: CZK 90.00");
    expect(offer).toHaveTextContent("12 ± 3 (supplier's)");
  });

  it("shows the delivery record learnt from purchase orders, red when late, and an out-of-stock offer", async () => {
    const record = {
      learnt_lead_time_days: 14.25, learnt_lead_time_sd_days: 7.9, on_time_rate: 0.47, deliveries: 10,
      late_deliveries: 7, overdue_orders: 1, learnt_at: "2026-12-01T02:00:00Z",
    };
    api({
      [`GET ${BASE}`]: { body: { items: [{ ...SUPPLIER, ...record }], next_cursor: null } },
      [`GET ${BASE}/4/offers`]: { body: { items: [{ ...OFFER, ...record, supplier_stock: "0.000" }], next_cursor: null } },
    });
    renderApp("/shops/1/suppliers?supplier=4");
    const row = await screen.findByTestId("supplier-row");
    expect(row).toHaveTextContent("14.3 ± 7.9 days");
    expect(row).toHaveTextContent("47% on time");
    expect(row).toHaveTextContent("10 deliveries · 1 overdue");
    const offer = await screen.findByTestId("offer-row");
    expect(offer).toHaveTextContent("out of stock");
    expect(offer).toHaveTextContent("47% on time");
  });

  it("adds a supplier and shows the API's problem for a duplicate name", async () => {
    const fake = api({ [`POST ${BASE}`]: problem(409, "Supplier exists", "name: this shop already has a supplier named 'X'") });
    renderApp("/shops/1/suppliers");
    await screen.findByTestId("supplier-row");
    fireEvent.click(screen.getByTestId("add-supplier"));
    const form = await screen.findByTestId("supplier-form");
    type("Name", "X", form);
    type("E-mail", "x@example.com", form);
    type("Lead time (days, mean)", "10,5", form);
    fireEvent.click(within(form).getByTestId("save-supplier"));
    expect(await within(form).findByTestId("error-state")).toHaveTextContent("already has a supplier named 'X'");
    expect(fake.callsTo(`POST ${BASE}`)[0]?.body).toEqual({
      name: "X", email: "x@example.com", currency: "CZK", lead_time_days: "10.5", lead_time_sd_days: "2", order_cost: "0",
    });
  });

  it("adds an offer for a code with '/' from the recommendations' link, at its encoded path", async () => {
    const path = `${BASE}/4/offers/${encodeURIComponent("TR/9")}`;
    const fake = api({ [`PUT ${path}`]: { body: { ...OFFER, variant_code: "TR/9" } } });
    renderApp(`/shops/1/suppliers?variant=${encodeURIComponent("TR/9")}`);
    const form = await screen.findByTestId("offer-form");
    expect(within(form).getByLabelText("Variant code", { exact: false })).toHaveValue("TR/9");
    type("Unit price", "95", form);
    type("Pack size", "6", form);
    fireEvent.click(within(form).getByText("Add a price break"));
    const tier = within(form).getByTestId("price-break");
    type("From quantity", "100", tier);
    fireEvent.change(within(tier).getAllByLabelText("Unit price", { exact: false })[0] as HTMLElement, {
      target: { value: "85" },
    });
    fireEvent.click(within(form).getByTestId("save-offer"));
    await waitFor(() => expect(fake.callsTo(`PUT ${path}`)).toHaveLength(1));
    expect(fake.callsTo(`PUT ${path}`)[0]?.body).toEqual({
      unit_price: "95", moq: null, pack_size: "6", lead_time_days: null, lead_time_sd_days: null,
      supplier_stock: null, price_breaks: [{ min_quantity: "100", unit_price: "85" }],
    });
    await waitFor(() => expect(screen.queryByTestId("offer-form")).not.toBeInTheDocument());
    await waitFor(() => expect(fake.callsTo(`GET ${BASE}/4/offers`).length).toBeGreaterThanOrEqual(2));
  });

  it("imports a CSV and lists the rejected rows with their line and reason", async () => {
    const fake = api({
      [`POST ${BASE}/offers/import`]: {
        body: {
          imported: 2, created: 1, updated: 1,
          rejected: [{ row: 3, reason: "unit_price: 'abc' is not a number" }, { row: 5, reason: "supplier: no supplier 'Nobody' in this shop; add it first" }],
        },
      },
    });
    renderApp("/shops/1/suppliers");
    await screen.findByTestId("supplier-row");
    const input = document.querySelector('input[type="file"]') as HTMLInputElement;
    const csv = "supplier,variant_code,unit_price\nLevný dodavatel,HR-1,95\n";
    fireEvent.change(input, { target: { files: [new File([csv], "offers.csv", { type: "text/csv" })] } });
    const report = await screen.findByTestId("import-result");
    expect(report).toHaveTextContent("Imported 2 offers (1 new, 1 updated); 2 rows rejected.");
    const rejected = within(report).getByTestId("import-rejected");
    expect(rejected).toHaveTextContent("3unit_price: 'abc' is not a number");
    expect(rejected).toHaveTextContent("Nobody");
    expect(fake.callsTo(`POST ${BASE}/offers/import`)[0]?.body).toBe(csv);
  });

  it("lets viewers read but not change", async () => {
    fakeApi({
      "GET /api/shops/2/suppliers": { body: { items: [{ ...SUPPLIER }], next_cursor: null } },
      "GET /api/shops/2/suppliers/4/offers": { body: { items: [OFFER], next_cursor: null } },
    });
    renderApp("/shops/2/suppliers?supplier=4");
    await screen.findByTestId("offer-row");
    expect(screen.queryByTestId("add-supplier")).not.toBeInTheDocument();
    expect(screen.queryByTestId("import-offers")).not.toBeInTheDocument();
    expect(screen.queryByTestId("add-offer")).not.toBeInTheDocument();
  });

  it("speaks Czech", async () => {
    window.localStorage.setItem("shopops.locale", "cs");
    api();
    renderApp("/shops/1/suppliers?supplier=4");
    expect(await screen.findByRole("heading", { name: "Dodavatelé" })).toBeInTheDocument();
    const offer = await screen.findByTestId("offer-row");
    expect(offer).toHaveTextContent(/od 50: 90,00\sKč/);
    expect(screen.getByRole("button", { name: "Přidat dodavatele" })).toBeInTheDocument();
  });
});
