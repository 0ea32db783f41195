/** Purchase orders on the Inventory page: selecting recommendation lines and ordering them,
 * lines already on order, the list of open orders with Receive and Cancel, the API's problem
 * messages, the empty state, viewers, and Czech. */

import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeApi, problem, type Handler } from "../../test/api";
import { renderApp } from "../../test/render";

afterEach(() => {
  vi.unstubAllGlobals();
  window.localStorage.clear();
});

const BASE = "/api/shops/1/inventory";
const ORDERS = "/api/shops/1/purchase-orders";
const RUN_STATE = { workflow_id: "analytics:inventory:1", run: null, running: false, progress: null };

function line(id: number, code: string, extra: Record<string, unknown> = {}) {
  return {
    id, variant_code: code, variant_name: null, supplier_id: 4, supplier_name: "Levný dodavatel",
    quantity: "10.000", packs: null, unit_price: "95.00", purchase_cost: "950.00", order_cost: "10.00",
    risk_cost: "1.00", expected_cost: "960.00", currency: "CZK", order_by: "2026-11-30",
    lead_time_days: 12, on_hand: "4.000", reorder_point: 20, note: null, on_order: "0",
    purchase_order_id: null, ...extra,
  };
}

const ORDER = {
  id: 31, supplier_id: 4, supplier_name: "Levný dodavatel", status: "open", currency: "CZK", note: null,
  created_by: 1, ordered_at: "2026-11-28T10:00:00Z", expected_at: "2026-12-10T10:00:00Z", received_at: null,
  cancelled_at: null, total_quantity: "10.000", received_quantity: "0.000", total_cost: "950.00",
  lines: [
    { id: 90, variant_code: "HR-1", variant_name: null, quantity: "10.000", received_quantity: "0.000",
      unit_price: "95.0000", recommendation_id: 1 },
  ],
};

function api(routes: Record<string, Handler> = {}) {
  return fakeApi({
    [`GET ${BASE}/run`]: { body: RUN_STATE },
    [`GET ${BASE}/recommendations`]: {
      body: {
        items: [line(1, "HR-1"), line(2, "TR-9"), line(3, "KO-3", { on_order: "5.000", purchase_order_id: 30 })],
        next_cursor: null,
      },
    },
    [`GET ${ORDERS}`]: { body: { items: [ORDER], next_cursor: null } },
    ...routes,
  });
}

function checkbox(name: string) {
  return screen.getByRole("checkbox", { name }) as HTMLInputElement;
}

describe("purchase orders", () => {
  it("orders the selected lines after a confirmation that shows one order per supplier", async () => {
    const fake = api({ [`POST ${ORDERS}`]: { status: 201, body: { items: [ORDER] } } });
    renderApp("/shops/1/inventory");
    await screen.findAllByTestId("recommendation-row");
    const button = screen.getByTestId("create-purchase-orders");
    expect(button).toBeDisabled();
    fireEvent.click(checkbox("Select HR-1"));
    fireEvent.click(checkbox("Select TR-9"));
    expect(button).toHaveTextContent("Create purchase orders (2)");
    fireEvent.click(button);
    const confirm = await screen.findByTestId("confirm-orders");
    expect(within(confirm).getAllByTestId("confirm-order")).toHaveLength(1);
    expect(within(confirm).getByTestId("confirm-order")).toHaveTextContent("Levný dodavatel: 2 lines, CZK 1,900.00");
    expect(fake.callsTo(`POST ${ORDERS}`)).toHaveLength(0); // nothing is ordered before confirming
    fireEvent.click(screen.getByTestId("confirm-create"));
    await waitFor(() => expect(fake.callsTo(`POST ${ORDERS}`)).toHaveLength(1));
    expect(fake.callsTo(`POST ${ORDERS}`)[0]?.body).toEqual({ recommendation_ids: [1, 2] });
    expect(await screen.findByText("1 purchase order created.")).toBeInTheDocument();
    await waitFor(() => expect(fake.callsTo(`GET ${BASE}/recommendations`)).toHaveLength(2));
    await waitFor(() => expect(checkbox("Select HR-1").checked).toBe(false));
  });

  it("going back from the confirmation orders nothing", async () => {
    const fake = api({ [`POST ${ORDERS}`]: { status: 201, body: { items: [ORDER] } } });
    renderApp("/shops/1/inventory");
    await screen.findAllByTestId("recommendation-row");
    fireEvent.click(checkbox("Select HR-1"));
    fireEvent.click(screen.getByTestId("create-purchase-orders"));
    fireEvent.click(await screen.findByRole("button", { name: "Back" }));
    await waitFor(() => expect(screen.queryByTestId("confirm-orders")).not.toBeInTheDocument());
    expect(fake.callsTo(`POST ${ORDERS}`)).toHaveLength(0);
  });

  it("does not let a line without a supplier be ordered and links to adding an offer", async () => {
    api({
      [`GET ${BASE}/recommendations`]: {
        body: { items: [line(1, "HR-1"), line(2, "TR/9", { supplier_id: null, supplier_name: null })], next_cursor: null },
      },
    });
    renderApp("/shops/1/inventory");
    await screen.findAllByTestId("recommendation-row");
    expect(checkbox("Select TR/9")).toBeDisabled();
    expect(screen.getByTestId("add-offer-link")).toHaveAttribute("href", "/shops/1/suppliers?variant=TR%2F9");
    fireEvent.click(checkbox("Select all lines"));
    expect(screen.getByTestId("create-purchase-orders")).toHaveTextContent("(1)");
  });

  it("says how many orders were created in Czech plural forms", async () => {
    window.localStorage.setItem("shopops.locale", "cs");
    const three = [ORDER, { ...ORDER, id: 32 }, { ...ORDER, id: 33 }];
    api({ [`POST ${ORDERS}`]: { status: 201, body: { items: three } } });
    renderApp("/shops/1/inventory");
    await screen.findAllByTestId("recommendation-row");
    fireEvent.click(checkbox("Vybrat HR-1"));
    fireEvent.click(screen.getByTestId("create-purchase-orders"));
    fireEvent.click(await screen.findByTestId("confirm-create"));
    expect(await screen.findByText("Vytvořeny 3 nákupní objednávky.")).toBeInTheDocument();
  });

  it("counts a supplier's lines in the confirmation with the right plural", async () => {
    api();
    renderApp("/shops/1/inventory");
    await screen.findAllByTestId("recommendation-row");
    fireEvent.click(checkbox("Select HR-1"));
    fireEvent.click(screen.getByTestId("create-purchase-orders"));
    expect(await screen.findByTestId("confirm-order")).toHaveTextContent("Levný dodavatel: 1 line, CZK 950.00");
  });

  it("marks lines already on an open order and does not let them be selected", async () => {
    api();
    renderApp("/shops/1/inventory");
    const rows = await screen.findAllByTestId("recommendation-row");
    expect(within(rows[2] as HTMLElement).getByTestId("ordered-badge")).toHaveTextContent("PO 30");
    expect(rows[2]).toHaveTextContent("5");
    expect(checkbox("Select KO-3")).toBeDisabled();
    fireEvent.click(checkbox("Select all lines"));
    expect(screen.getByTestId("create-purchase-orders")).toHaveTextContent("(2)");
  });

  it("shows the API's problem when the lines were ordered meanwhile", async () => {
    api({
      [`POST ${ORDERS}`]: problem(409, "Already ordered", "recommendation_ids: 1 already on an open purchase order"),
    });
    renderApp("/shops/1/inventory");
    await screen.findAllByTestId("recommendation-row");
    fireEvent.click(checkbox("Select HR-1"));
    fireEvent.click(screen.getByTestId("create-purchase-orders"));
    fireEvent.click(await screen.findByTestId("confirm-create"));
    expect(await screen.findByTestId("error-state")).toHaveTextContent(
      "recommendation_ids: 1 already on an open purchase order",
    );
  });

  it("lists open orders and receives one", async () => {
    const fake = api({ [`POST ${ORDERS}/31/receive`]: { body: { ...ORDER, status: "received" } } });
    renderApp("/shops/1/inventory?tab=orders");
    const row = await screen.findByTestId("purchase-order-row");
    expect(row).toHaveTextContent("Levný dodavatel");
    expect(row).toHaveTextContent("HR-1 × 10");
    expect(row).toHaveTextContent("CZK 950.00");
    const files = within(row).getByTestId("purchase-order-files");
    expect(within(files).getByText("PDF")).toHaveAttribute("href", `${ORDERS}/31/pdf?lang=en`);
    expect(within(files).getByText("CSV")).toHaveAttribute("href", `${ORDERS}/31/csv`);
    expect(fake.callsTo(`GET ${ORDERS}`)[0]?.url.searchParams.get("status")).toBe("open");
    fireEvent.click(within(row).getByRole("button", { name: "Receive" }));
    await waitFor(() => expect(fake.callsTo(`POST ${ORDERS}/31/receive`)).toHaveLength(1));
    await waitFor(() => expect(fake.callsTo(`GET ${ORDERS}`)).toHaveLength(2));
  });

  it("shows why a cancel failed", async () => {
    api({
      [`POST ${ORDERS}/31/cancel`]: problem(409, "Purchase order is closed", "purchase order 31 is received; only an open order can be cancelled"),
    });
    renderApp("/shops/1/inventory?tab=orders");
    fireEvent.click(await screen.findByRole("button", { name: "Cancel" }));
    expect(await screen.findByTestId("error-state")).toHaveTextContent("only an open order can be cancelled");
  });

  it("says when there are no orders, and shows a failed list's message", async () => {
    const fake = api({ [`GET ${ORDERS}`]: { body: { items: [], next_cursor: null } } });
    renderApp("/shops/1/inventory?tab=orders");
    expect(await screen.findByTestId("empty-state")).toHaveTextContent("No purchase orders here.");
    fake.set(`GET ${ORDERS}`, problem(422, "Unknown status", "status must be one of open, received, cancelled"));
    fireEvent.click(screen.getByText("cancelled"));
    expect(await screen.findByTestId("error-state")).toHaveTextContent("status must be one of open");
  });

  it("lets viewers see orders but not order, receive or cancel", async () => {
    fakeApi({
      "GET /api/shops/2/inventory/run": { body: { ...RUN_STATE, workflow_id: "analytics:inventory:2" } },
      "GET /api/shops/2/inventory/recommendations": { body: { items: [line(1, "HR-1")], next_cursor: null } },
      "GET /api/shops/2/purchase-orders": { body: { items: [ORDER], next_cursor: null } },
    });
    renderApp("/shops/2/inventory");
    await screen.findAllByTestId("recommendation-row");
    expect(screen.queryByTestId("create-purchase-orders")).not.toBeInTheDocument();
    expect(screen.queryByRole("checkbox")).not.toBeInTheDocument();
    fireEvent.click(screen.getByRole("tab", { name: "Purchase orders" }));
    await screen.findByTestId("purchase-order-row");
    expect(screen.queryByRole("button", { name: "Receive" })).not.toBeInTheDocument();
  });

  it("speaks Czech", async () => {
    window.localStorage.setItem("shopops.locale", "cs");
    api();
    renderApp("/shops/1/inventory?tab=orders");
    const row = await screen.findByTestId("purchase-order-row");
    expect(within(row).getByRole("button", { name: "Přijmout" })).toBeInTheDocument();
    expect(screen.getByRole("tab", { name: "Nákupní objednávky" })).toBeInTheDocument();
  });
});
