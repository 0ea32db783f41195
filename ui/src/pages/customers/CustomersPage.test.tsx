/** The Customers page: segments with their chart, the at-risk list with filters and CSV link,
 * a customer's detail with recommendations, the not-enough-data state, errors, and Czech. */

import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeApi, ME, problem } from "../../test/api";
import { renderApp } from "../../test/render";
import { atRiskFilters } from "./AtRiskList";

afterEach(() => vi.unstubAllGlobals());

const SEGMENTS = {
  currency: "CZK",
  customers: 30,
  items: [
    { segment: "champions", name: "Champions", customers: 10, total_value: "50000.00", clv_12m: "20000.00", clv_at_risk: "1000.00", avg_p_alive: 0.9, avg_churn_risk: 0.1, profit_total: "12000.00", clv_profit_12m: "4800.00" },
    { segment: "at_risk", name: "At risk", customers: 20, total_value: "30000.00", clv_12m: "5000.00", clv_at_risk: "4000.00", avg_p_alive: 0.3, avg_churn_risk: 0.8, profit_total: "7000.00", clv_profit_12m: "1100.00" },
  ],
};
const REPORT = {
  id: 7, status: "completed", message: null, trigger: "schedule", started_at: "2025-03-01T01:30:00Z",
  finished_at: "2025-03-01T01:31:00Z", observation_end: "2025-03-01T01:30:00Z", calibration_end: "2024-09-01T00:00:00Z",
  holdout_periods: 26, customers: 30, repeat_buyers: 12, orders: 90, chosen_model: "BG/NBD", holdout_mae: 0.5,
  baseline_mae: 0.8, beats_baseline: true, auc_p_alive: 0.77, predicted_purchases: 40, actual_purchases: 42,
  item_rules: 12, models: [], by_frequency: [],
};
const CUSTOMER = {
  customer_key: "0a1b", customer_guid: "0a1b", email: "jana@example.cz", name: "Jana Nováková", segment: "at_risk",
  orders: 4, first_order_at: "2023-05-01T10:00:00Z", last_order_at: "2024-06-01T10:00:00Z", total_value: "4200.00",
  clv_12m: "1250.50", clv_at_risk: "980.00", p_alive: 0.42, churn_risk: 0.7, expected_purchases_90d: 0.31,
  next_purchase_at: "2025-04-01T00:00:00Z", r_score: 2, f_score: 4, m_score: 3,
  profit_total: "1010.00", margin_rate: 0.24, clv_profit_12m: "300.12", discount_share: 0.9,
  price_buyer: "discount_only", discount_advice: "offer",
};
const ELASTICITIES = [
  { scope: "product", key: "P001", name: "Hrnek modrý", category: "Hrnky", status: "estimated", reason: null, elasticity: -1.82,
    ci_low: -2.1, ci_high: -1.5, weeks: 90, price_levels: 3, price_spread: 0.2, units: 4000, reference_price: "199.00" },
  { scope: "product", key: "P002", name: "Talíř", category: "Talíře", status: "unknown", reason: "price_never_moved", elasticity: null,
    ci_low: null, ci_high: null, weeks: 80, price_levels: 1, price_spread: 0, units: 900, reference_price: "99.00" },
];

function answers(overrides: Record<string, unknown> = {}) {
  return {
    "GET /api/shops/1/customers/segments": { body: SEGMENTS },
    "GET /api/shops/1/customers/analysis": { body: { workflow_id: "analytics:customers:1", report: REPORT, progress: null } },
    "GET /api/shops/1/customers/at-risk": { body: { items: [CUSTOMER], next_cursor: null } },
    "GET /api/shops/1/customers/reports": { body: { items: [REPORT], next_cursor: null } },
    "GET /api/shops/1/customers/0a1b": {
      body: {
        ...CUSTOMER, frequency: 3, recency_weeks: 50, age_weeks: 90, monetary_value: "1050.00", computed_at: "2025-03-01T01:31:00Z",
        recommendations: [{ code: "P001", name: "Hrnek modrý", score: 0.8, lift: 3.1, because: ["P000"] }],
      },
    },
    ...overrides,
  };
}

describe("atRiskFilters", () => {
  it("keeps known segments and sane risks, and falls back to the default risk", () => {
    expect(atRiskFilters("lost", "0.2")).toEqual({ segment: "lost", min_churn_risk: 0.2 });
    expect(atRiskFilters("vip", "7")).toEqual({ min_churn_risk: 0.5 });
    expect(atRiskFilters(null, null, "clv_profit")).toEqual({ min_churn_risk: 0.5, sort: "clv_profit" });
    expect(atRiskFilters(null, null, "bogus")).toEqual({ min_churn_risk: 0.5 });
  });
});

describe("profit and price sensitivity", () => {
  it("sorts customers by profit CLV from the URL and shows how they buy", async () => {
    const api = fakeApi(answers());
    renderApp("/shops/1/customers?tab=at-risk&sort=clv_profit");
    const table = await screen.findByTestId("at-risk-table");
    const params = api.callsTo("GET /api/shops/1/customers/at-risk")[0]?.url.searchParams;
    expect(params?.get("sort")).toBe("clv_profit");
    expect(table).toHaveTextContent("CZK 300.12");
    expect(within(table).getByText("only on discount")).toBeInTheDocument();
    expect(within(table).getByText("offer a discount")).toBeInTheDocument();
  });

  it("lists product elasticities with intervals, and unknown ones with their reason", async () => {
    fakeApi(answers({ "GET /api/shops/1/price-sensitivity": { body: { items: ELASTICITIES, next_cursor: null } } }));
    renderApp("/shops/1/customers?tab=prices");
    const table = await screen.findByTestId("price-sensitivity-table");
    expect(table).toHaveTextContent("-1.82");
    expect(table).toHaveTextContent("-2.1 … -1.5");
    expect(screen.getByTestId("unknown-reason")).toHaveTextContent("the price never moved");
  });

  it("gives the reason an elasticity is unknown in Czech", async () => {
    fakeApi(
      answers({
        "GET /api/auth/me": { body: { ...ME, locale: "cs" } },
        "GET /api/shops/1/price-sensitivity": { body: { items: ELASTICITIES, next_cursor: null } },
      }),
    );
    renderApp("/shops/1/customers?tab=prices");
    expect(await screen.findByTestId("unknown-reason")).toHaveTextContent("cena se nikdy nezměnila");
  });
});

describe("customers page", () => {
  it("shows segment sizes with a chart and the last run", async () => {
    fakeApi(answers());
    renderApp("/shops/1/customers");
    const table = await screen.findByTestId("segments-table");
    expect(within(table).getByText("At risk")).toBeInTheDocument();
    expect(table).toHaveTextContent("CZK 30,000.00");
    expect(screen.getByTestId("segment-chart")).toBeInTheDocument();
    expect(await screen.findByTestId("analysis-last-run")).toHaveTextContent("BG/NBD");
  });

  it("lists customers at risk with the URL's filters, links the CSV, and opens one with recommendations", async () => {
    const api = fakeApi(answers());
    renderApp("/shops/1/customers?tab=at-risk&segment=at_risk&risk=0.3");
    const table = await screen.findByTestId("at-risk-table");
    const params = api.callsTo("GET /api/shops/1/customers/at-risk")[0]?.url.searchParams;
    expect(params?.get("segment")).toBe("at_risk");
    expect(params?.get("min_churn_risk")).toBe("0.3");
    expect(screen.getByTestId("export-csv")).toHaveAttribute(
      "href",
      "/api/shops/1/customers/at-risk.csv?segment=at_risk&min_churn_risk=0.3",
    );
    await userEvent.click(within(table).getByText("Jana Nováková"));
    expect(await screen.findByTestId("recommendations")).toHaveTextContent("Hrnek modrý");
    expect(screen.getByTestId("customer-p-alive")).toHaveTextContent("42%");
    expect(screen.getByTestId("customer-clv")).toHaveTextContent("CZK 1,250.50");
  });

  it("shows the stored not-enough-data message and an empty list", async () => {
    const message = "Choosing a model needs at least 30 customers; found 3 customers.";
    fakeApi(
      answers({
        "GET /api/shops/1/customers/analysis": { body: { workflow_id: "w", report: { ...REPORT, status: "not_enough_data", message }, progress: null } },
        "GET /api/shops/1/customers/segments": { body: { currency: "CZK", customers: 0, items: [] } },
      }),
    );
    renderApp("/shops/1/customers");
    expect(await screen.findByTestId("analysis-not-enough-data")).toHaveTextContent(message);
    expect(await screen.findByTestId("empty-state")).toBeInTheDocument();
  });

  it("after Run analysis now shows the new analysis without a reload and refreshes the segments once", async () => {
    // after the start, the first answer still has the old report (the run has no row yet),
    // the next ones the new, finished one: the page was never told the run was running
    let started = false;
    let asked = 0;
    const NEW = { ...REPORT, id: 8, customers: 31, chosen_model: "Pareto/NBD" };
    const api = fakeApi(
      answers({
        "GET /api/shops/1/customers/analysis": () => {
          const report = started && asked++ > 0 ? NEW : REPORT;
          return { body: { workflow_id: "w", report, progress: null } };
        },
        "POST /api/shops/1/customers/analysis": () => {
          started = true;
          return { status: 202, body: { workflow_id: "w", run_id: "r", started: true } };
        },
      }),
    );
    renderApp("/shops/1/customers");
    expect(await screen.findByTestId("analysis-last-run")).toHaveTextContent("BG/NBD");
    expect(api.callsTo("GET /api/shops/1/customers/segments")).toHaveLength(1);
    await userEvent.click(screen.getByRole("button", { name: "Run analysis now" }));
    await waitFor(() => expect(screen.getByTestId("analysis-last-run")).toHaveTextContent("Pareto/NBD"));
    await waitFor(() => expect(api.callsTo("GET /api/shops/1/customers/segments")).toHaveLength(2));
    const polls = api.callsTo("GET /api/shops/1/customers/analysis").length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(api.callsTo("GET /api/shops/1/customers/analysis")).toHaveLength(polls);
    expect(api.callsTo("GET /api/shops/1/customers/segments")).toHaveLength(2);
  });

  it("shows the API's problem when the list cannot load", async () => {
    fakeApi(answers({ "GET /api/shops/1/customers/reports": problem(503, "Database unavailable", "Try again in a minute.") }));
    renderApp("/shops/1/customers?tab=track-record");
    expect(await screen.findByTestId("error-state")).toHaveTextContent("Try again in a minute.");
  });

  it("speaks Czech with Czech number formats, and a manager can run it now", async () => {
    const api = fakeApi(
      answers({
        "GET /api/auth/me": { body: { ...ME, locale: "cs" } },
        "POST /api/shops/1/customers/analysis": { status: 202, body: { workflow_id: "w", run_id: "r", started: true } },
      }),
    );
    renderApp("/shops/1/customers?tab=track-record");
    expect(await screen.findByRole("heading", { name: "Zákazníci" })).toBeInTheDocument();
    const reports = await screen.findByTestId("reports-table");
    expect(reports).toHaveTextContent("0,5");
    expect(reports).toHaveTextContent("dokončeno");
    expect(screen.getByTestId("track-record-chart")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Spustit analýzu" }));
    await waitFor(() => expect(api.callsTo("POST /api/shops/1/customers/analysis")).toHaveLength(1));
  });
});
