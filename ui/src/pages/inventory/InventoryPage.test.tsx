/** The Inventory page: recommendations with the CSV link, a variant's forecast chart, anomalies,
 * accuracy, running now, loading/empty/error states, and Czech formatting. */

import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { Anomaly, VariantForecast } from "../../api/inventory";
import { fakeApi, problem } from "../../test/api";
import { renderApp } from "../../test/render";
import { chartRows } from "./ForecastChart";

afterEach(() => vi.unstubAllGlobals());

const BASE = "/api/shops/1/inventory";
const RUN = {
  id: 7,
  status: "completed",
  message: null,
  trigger: "schedule",
  started_at: "2026-11-28T23:15:00Z",
  finished_at: "2026-11-28T23:21:00Z",
  as_of: "2026-11-28",
  history_from: "2024-11-30",
  horizon_days: 28,
  currency: "CZK",
  variants_total: 3,
  variants_forecast: 3,
  recommendations: 2,
  recommended_cost: "12345.50",
  anomalies_new: 1,
  notifications: 1,
  mase: 0.8,
  naive_mase: 1.0,
  relative_mase: 0.8,
  beats_naive_share: 0.67,
};
const LINES = [
  {
    id: 1, variant_code: "HR-1", variant_name: "Hrnek modrý", supplier_id: 4, supplier_name: "Levný dodavatel",
    quantity: "120.000", packs: 10, unit_price: "95.00", purchase_cost: "11400.00", order_cost: "245.50",
    risk_cost: "3.10", expected_cost: "11645.50", currency: "CZK", order_by: "2026-11-30",
    lead_time_days: 12, on_hand: "14.000", reorder_point: 80.5, note: null,
  },
  {
    id: 2, variant_code: "TR-9", variant_name: "Tričko", supplier_id: null, supplier_name: null,
    quantity: "7.000", packs: null, unit_price: "100.00", purchase_cost: "700.00", order_cost: null,
    risk_cost: null, expected_cost: "700.00", currency: "CZK", order_by: "2026-12-03",
    lead_time_days: 7, on_hand: "0.000", reorder_point: 6.2, note: "no supplier offers this variant",
  },
];
const FORECAST: VariantForecast = {
  variant_code: "HR-1",
  variant_name: "Hrnek modrý",
  as_of: "2026-11-28",
  history: [
    { day: "2026-11-26", sales: 12, stock: 30, censored: false },
    { day: "2026-11-27", sales: 4, stock: 0, censored: true },
    { day: "2026-11-28", sales: 9, stock: 14, censored: true },
  ],
  forecast: [
    { day: "2026-11-29", mean: 10.5, lo: 6, hi: 15, naive: 12 },
    { day: "2026-11-30", mean: 11, lo: 6.5, hi: 16, naive: 4 },
  ],
  metrics: {
    variant_code: "HR-1", pattern: "smooth", model: "AutoETS", season_length: 7, n_observed: 700,
    n_censored: 29, mase: 0.71, naive_mase: 0.95, relative_mae: 0.75, backtest_mae: 2.1, naive_mae: 2.8,
    mean_demand: 10.7, safety_stock: 20.2, reorder_point: 80.5, on_hand: "14.000", eoq: 120,
    order_by: "2026-11-30", mase_without_regressors: 0.8, mase_with_regressors: 0.6, regressor_gain: 0.25,
    regressors_used: "weather,promotion",
  },
};

const LATE_ORDER: Anomaly = {
  id: 9, variant_code: "TR-9", variant_name: "Tričko", day: "2026-12-03", kind: "late_purchase_order",
  severity: "high", score: 15, sales: null, expected: 80, lo: null, hi: null, stock_change: null,
  unexplained: null, purchase_order_id: 12, arrives_on: "2026-12-18", bridge_quantity: 35,
  detected_at: "2026-11-28T23:20:00Z", notified_at: "2026-11-28T23:21:00Z",
};

const SPIKE: Anomaly = {
  id: 11, variant_code: "HR-1", variant_name: "Hrnek modrý", day: "2026-11-27", kind: "sales_spike",
  severity: "high", score: 9, sales: 40, expected: 10, lo: 6, hi: 14, stock_change: null, unexplained: null,
  purchase_order_id: null, arrives_on: null, bridge_quantity: null,
  causes: [
    {
      dimension: "customer", value: "velkoodber@firma.cz", explained: 0.97, surprise: 0.3, actual: 30, expected: 0.2,
      sentence: "A single customer (velkoodber@firma.cz) bought 30 units, 97 % of the deviation from the forecast.",
      sentence_cs: "Jediný zákazník (velkoodber@firma.cz) koupil 30 ks, 97 % odchylky od předpovědi.",
    },
    {
      dimension: "channel", value: "shoptet", explained: 0.9, surprise: 0.02, actual: 38, expected: 7,
      sentence: "Channel shoptet: 38 units sold against 7.0 expected (+31), 90 % of the deviation above the forecast.",
      sentence_cs: "Kanál shoptet: prodáno 38 ks proti očekávaným 7 ks (+31), 90 % odchylky nad předpovědí.",
    },
  ],
  detected_at: "2026-11-28T23:20:00Z", notified_at: null,
};
const SWITCHED = {
  ...LINES[0], id: 3, variant_code: "KO-2", variant_name: "Konvice", supplier_id: 5, supplier_name: "Rychlý dodavatel",
  on_time_rate: 0.96, lead_time_sd_days: 0.8, primary_supplier_name: "Levný dodavatel", alternative_supplier_id: 5,
  alternative_supplier_name: "Rychlý dodavatel", alternative_reason: "late",
};

function planned(extra: Record<string, unknown> = {}) {
  return fakeApi({
    [`GET ${BASE}/run`]: { body: { workflow_id: "analytics:inventory:1", run: RUN, running: false, progress: null } },
    [`GET ${BASE}/recommendations`]: { body: { items: LINES, next_cursor: null } },
    [`GET ${BASE}/variants/HR-1/forecast`]: { body: FORECAST },
    [`GET ${BASE}/anomalies`]: {
      body: {
        items: [
          {
            id: 5, variant_code: "HR-1", variant_name: "Hrnek modrý", day: "2026-11-27", kind: "drop_without_sales",
            severity: "high", score: 23.4, sales: 0, expected: null, lo: null, hi: null, stock_change: -30,
            unexplained: -30, purchase_order_id: null, arrives_on: null, bridge_quantity: null,
            detected_at: "2026-11-28T23:20:00Z", notified_at: "2026-11-28T23:21:00Z",
          },
        ],
        next_cursor: null,
      },
    },
    [`GET ${BASE}/accuracy`]: {
      body: {
        items: [FORECAST.metrics],
        next_cursor: null,
        overall: { run_id: 7, variants: 3, mase: 0.8, naive_mase: 1, relative_mase: 0.8, beats_naive_share: 0.67, models: { AutoETS: 3 } },
      },
    },
    ...extra,
  });
}

describe("chartRows", () => {
  it("puts sold-out days in their own series and the interval as a range", () => {
    const rows = chartRows(FORECAST);
    expect(rows).toHaveLength(5);
    expect(rows[0]).toMatchObject({ sales: 12, censored: null, mean: null });
    expect(rows[1]).toMatchObject({ sales: null, censored: 4 });
    expect(rows[3]).toMatchObject({ day: "2026-11-29", mean: 10.5, interval: [6, 15], sales: null });
  });
});

describe("inventory page", () => {
  it("lists what to order with supplier, order-by date and cost, and links the CSV export", async () => {
    planned();
    renderApp("/shops/1/inventory");
    const rows = await screen.findAllByTestId("recommendation-row");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("HR-1");
    expect(rows[0]).toHaveTextContent("Levný dodavatel");
    expect(rows[0]).toHaveTextContent("10 packs");
    expect(rows[0]).toHaveTextContent("CZK 11,645.50");
    expect(rows[0]).toHaveTextContent("30 Nov 2026");
    expect(within(rows[1] as HTMLElement).getByText("no supplier offer")).toBeInTheDocument();
    expect(screen.getByTestId("export-csv")).toHaveAttribute("href", `${BASE}/recommendations.csv`);
    expect(screen.getByTestId("run-last")).toHaveTextContent("2 purchases worth CZK 12,345.50");
  });

  it("opens a variant's forecast chart from the list", async () => {
    const api = planned();
    renderApp("/shops/1/inventory");
    fireEvent.click(await screen.findByRole("button", { name: "HR-1" }));
    const chart = await screen.findByTestId("forecast-chart");
    expect(chart).toHaveAttribute("data-points", "5");
    expect(screen.getByTestId("variant-facts")).toHaveTextContent("AutoETS");
    expect(api.callsTo(`GET ${BASE}/variants/HR-1/forecast`)).toHaveLength(1);
  });

  it("shows anomalies with their filters in the request", async () => {
    const api = planned();
    renderApp("/shops/1/inventory?tab=anomalies&severity=high");
    const row = await screen.findByTestId("anomaly-row");
    expect(row).toHaveTextContent("Stock vanished without sales");
    expect(row).toHaveTextContent("stock -30, sales 0");
    expect(api.callsTo(`GET ${BASE}/anomalies`)[0]?.url.searchParams.get("severity")).toBe("high");
  });

  it("shows a late purchase order with the order, its arrival and what to bridge", async () => {
    const api = planned({ [`GET ${BASE}/anomalies`]: { body: { items: [LATE_ORDER], next_cursor: null } } });
    renderApp("/shops/1/inventory?tab=anomalies&kind=late_purchase_order");
    const row = await screen.findByTestId("anomaly-row");
    expect(row).toHaveTextContent("3 Dec 2026");
    expect(row).toHaveTextContent("Purchase order arrives too late");
    expect(row).toHaveTextContent(
      "stock runs out 3 Dec 2026, PO 12 (80 units) arrives 18 Dec 2026: expedite it or bridge 35 units",
    );
    expect(api.callsTo(`GET ${BASE}/anomalies`)[0]?.url.searchParams.get("kind")).toBe("late_purchase_order");
  });

  it("shows a sales spike's causes, strongest first, in the shown language", async () => {
    planned({ [`GET ${BASE}/anomalies`]: { body: { items: [SPIKE], next_cursor: null } } });
    renderApp("/shops/1/inventory?tab=anomalies");
    const causes = await screen.findByTestId("anomaly-causes");
    const items = within(causes).getAllByRole("listitem");
    expect(items[0]).toHaveTextContent("A single customer (velkoodber@firma.cz) bought 30 units");
    expect(items[1]).toHaveTextContent("Channel shoptet");
  });

  it("names a late primary supplier and the alternative bought from, in Czech too", async () => {
    planned({ [`GET ${BASE}/recommendations`]: { body: { items: [SWITCHED, ...LINES], next_cursor: null } } });
    renderApp("/shops/1/inventory");
    const badge = await screen.findByTestId("alternative-badge");
    expect(badge).toHaveTextContent("Levný dodavatel is often late (96% on time): buy from Rychlý dodavatel");
    window.localStorage.setItem("shopops.locale", "cs");
  });

  it("says a late purchase order in Czech", async () => {
    window.localStorage.setItem("shopops.locale", "cs");
    planned({ [`GET ${BASE}/anomalies`]: { body: { items: [LATE_ORDER], next_cursor: null } } });
    renderApp("/shops/1/inventory?tab=anomalies");
    const row = await screen.findByTestId("anomaly-row");
    expect(row).toHaveTextContent("Objednávka dorazí pozdě");
    expect(row).toHaveTextContent(/objednávka PO 12 \(80 ks\) dorazí 18\.\s?12\.\s?2026/);
    expect(row).toHaveTextContent("urgujte ji, nebo dokupte 35 ks na překlenutí");
  });

  it("shows accuracy per variant and against seasonal naive overall", async () => {
    planned();
    renderApp("/shops/1/inventory?tab=accuracy");
    expect(await screen.findByTestId("accuracy-overall")).toHaveTextContent("80% of the naive error");
    expect(screen.getByTestId("accuracy-row")).toHaveTextContent("0.71");
    const gain = screen.getByTestId("regressor-gain");
    expect(gain).toHaveTextContent("25%");
    expect(gain).toHaveTextContent("weather, promotions");
    expect(gain).toHaveAttribute("title", "MASE without 0.8 → with 0.6");
  });

  it("runs now for a manager and shows the run's progress while it runs", async () => {
    let running = false;
    const api = planned({
      [`GET ${BASE}/run`]: () => ({
        body: running
          ? {
              workflow_id: "analytics:inventory:1",
              run: null,
              running: true,
              progress: { phase: "forecasting", variants_done: 2000, variants_total: 10000, run_id: 8, message: null },
            }
          : { workflow_id: "analytics:inventory:1", run: null, running: false, progress: null },
      }),
      [`POST ${BASE}/run`]: () => {
        running = true;
        return { status: 202, body: { workflow_id: "analytics:inventory:1", run_id: "r1", started: true } };
      },
    });
    renderApp("/shops/1/inventory");
    expect(await screen.findByTestId("run-never")).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Plan now" }));
    expect(await screen.findByTestId("run-running")).toHaveTextContent("2,000 of 10,000 variants");
    expect(screen.getByTestId("run-running")).toHaveTextContent("Planning: forecasting");
    expect(api.callsTo(`POST ${BASE}/run`)).toHaveLength(1);
  });

  it("opens the forecast of a code with '/' at its encoded URL, with the stock-out day", async () => {
    const code = "TRIKO/M/modré";
    const path = `${BASE}/variants/${encodeURIComponent(code)}/forecast`;
    const api = planned({
      [`GET ${BASE}/recommendations`]: {
        body: { items: [{ ...LINES[0], variant_code: code }], next_cursor: null },
      },
      [`GET ${path}`]: { body: { ...FORECAST, variant_code: code, stockout_day: "2026-11-30" } },
    });
    renderApp("/shops/1/inventory");
    fireEvent.click(await screen.findByRole("button", { name: code }));
    const chart = await screen.findByTestId("forecast-chart");
    expect(chart).toHaveAttribute("data-history", "3");
    expect(chart).toHaveAttribute("data-forecast", "2");
    expect(chart).toHaveAttribute("data-stockout", "2026-11-30");
    expect(screen.getByTestId("stockout-note")).toHaveTextContent("runs out on 30 Nov 2026");
    expect(api.callsTo(`GET ${path}`)).toHaveLength(1);
    expect(api.calls.some((c) => c.url.pathname.includes("/variants/TRIKO/"))).toBe(false);
  });

  it("keeps the page when a chart cannot be drawn", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    planned({ [`GET ${BASE}/variants/HR-1/forecast`]: { body: { ...FORECAST, history: null } } });
    renderApp("/shops/1/inventory?tab=forecast&variant=HR-1");
    expect(await screen.findByTestId("chart-error")).toHaveTextContent("The chart could not be drawn");
    expect(screen.getByTestId("variant-facts")).toHaveTextContent("AutoETS");
    expect(screen.getByRole("tab", { name: "Accuracy" })).toBeInTheDocument();
    warn.mockRestore();
    error.mockRestore();
  });

  it("after Plan now refreshes its lists once when the run ends, and stops asking", async () => {
    let state = { workflow_id: "analytics:inventory:1", run: RUN, running: false, progress: null as unknown };
    const api = planned({
      [`GET ${BASE}/run`]: () => ({ body: state }),
      [`POST ${BASE}/run`]: () => {
        // the run finishes before the page asks again: it never sees it running
        state = { ...state, run: { ...RUN, id: 8, recommendations: 5 } };
        return { status: 202, body: { workflow_id: "analytics:inventory:1", run_id: "r1", started: true } };
      },
    });
    renderApp("/shops/1/inventory");
    await screen.findAllByTestId("recommendation-row");
    expect(api.callsTo(`GET ${BASE}/recommendations`)).toHaveLength(1);
    fireEvent.click(screen.getByRole("button", { name: "Plan now" }));
    await waitFor(() => expect(screen.getByTestId("run-last")).toHaveTextContent("5 purchases"));
    await waitFor(() => expect(api.callsTo(`GET ${BASE}/recommendations`)).toHaveLength(2));
    const asked = api.callsTo(`GET ${BASE}/run`).length;
    expect(asked).toBeLessThanOrEqual(3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(api.callsTo(`GET ${BASE}/run`)).toHaveLength(asked);
    expect(api.callsTo(`GET ${BASE}/recommendations`)).toHaveLength(2);
  });

  it("hides Plan now from viewers", async () => {
    fakeApi({
      "GET /api/shops/2/inventory/run": {
        body: { workflow_id: "analytics:inventory:2", run: null, running: false, progress: null },
      },
      "GET /api/shops/2/inventory/recommendations": { body: { items: [], next_cursor: null } },
    });
    renderApp("/shops/2/inventory");
    await screen.findByTestId("run-never");
    expect(screen.queryByRole("button", { name: "Plan now" })).not.toBeInTheDocument();
  });

  it("shows the empty and the error state with the API's message", async () => {
    planned({
      [`GET ${BASE}/recommendations`]: { body: { items: [], next_cursor: null } },
      [`GET ${BASE}/variants/NOPE/forecast`]: problem(404, "Forecast not found", "No forecast for variant 'NOPE' in this shop."),
    });
    renderApp("/shops/1/inventory");
    expect(await screen.findByTestId("empty-state")).toHaveTextContent("Nothing needs ordering");
    fireEvent.click(screen.getByRole("tab", { name: "Forecast" }));
    fireEvent.change(await screen.findByLabelText("Variant code"), { target: { value: "NOPE" } });
    fireEvent.click(screen.getByRole("button", { name: "Show" }));
    expect(await screen.findByTestId("error-state")).toHaveTextContent("No forecast for variant 'NOPE' in this shop.");
  });

  it("speaks Czech with Czech numbers and money", async () => {
    window.localStorage.setItem("shopops.locale", "cs");
    planned();
    renderApp("/shops/1/inventory");
    const rows = await screen.findAllByTestId("recommendation-row");
    expect(screen.getByRole("tab", { name: "Co objednat" })).toBeInTheDocument();
    expect(rows[0]).toHaveTextContent(/11\s645,50\sKč/);
    expect(rows[0]).toHaveTextContent("10 balení");
    await waitFor(() => expect(screen.getByTestId("run-last")).toHaveTextContent("2 nákupů"));
  });
});
