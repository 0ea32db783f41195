/** The Sales channels page: connections with state and counts, "Sync now" with live progress
 * from the status query, connecting a store (owner only), the oversold list, and Czech. */

import { fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeApi, ME, problem, type Handler } from "../../test/api";
import { renderApp } from "../../test/render";

afterEach(() => {
  vi.unstubAllGlobals();
  window.localStorage.clear();
});

const BASE = "/api/shops/1/channels";
const CONNECTION = {
  id: 7, kind: "woocommerce", name: "Woo e-shop", base_url: "https://woo.example.cz", key_hint: "abcd",
  status: "failing", last_error: "https://woo.example.cz refused the consumer key and secret (401)",
  last_error_at: "2026-12-01T10:00:00Z", last_sync_at: "2026-11-30T10:00:00Z",
  orders_cursor: null, orders_imported: 250, created_at: "2026-11-01T10:00:00Z",
  sync_interval_minutes: 15, stock_push_enabled: true, catalog_push_enabled: false,
};
const PROGRESS = {
  phase: "orders", orders_total: 250, orders_imported: 100, oversold: 0, pages_done: 1, pages_total: 3,
  listings: 0, stock_pushed: 0, error: null,
};
const IDLE = { connection: CONNECTION, workflow_id: "channels:1:7:sync", run_id: null, running: false, run_status: null, progress: null };
const OWNER = { ...ME, shops: [{ ...ME.shops[0], role: "owner" }] };

function api(routes: Record<string, Handler> = {}) {
  return fakeApi({
    [`GET ${BASE}`]: { body: [CONNECTION] },
    [`GET ${BASE}/7/status`]: { body: IDLE },
    [`GET ${BASE}/orders`]: { body: [{ channel: "shoptet", orders: 1200 }, { channel: "woocommerce", orders: 250 }] },
    [`GET ${BASE}/oversold`]: {
      body: [{ channel: "b2b", order_code: "B2B-9", variant_code: "TRIKO-M", quantity: "1.000", available_before: "0.000", created_at: "2026-12-01T09:00:00Z" }],
    },
    ...routes,
  });
}

describe("channels page", () => {
  it("lists connections with their state, last error and order count, and oversold orders", async () => {
    api();
    renderApp("/shops/1/channels");
    const row = await screen.findByTestId("channel-row");
    expect(row).toHaveTextContent("Woo e-shop");
    expect(row).toHaveTextContent("last sync failed");
    expect(row).toHaveTextContent("refused the consumer key and secret");
    expect(row).toHaveTextContent("250");
    expect(await screen.findByText("B2B-9")).toBeInTheDocument();
    expect(await screen.findByTestId("orders-per-channel")).toHaveTextContent(/WooCommerce: 250/);
    // a manager syncs but does not connect stores
    expect(screen.queryByRole("button", { name: "Connect WooCommerce" })).not.toBeInTheDocument();
    expect(screen.getByText("Only the shop's owner can connect or remove a store.")).toBeInTheDocument();
  });

  it("starts a sync and shows its live progress", async () => {
    let running = false;
    const fake = api({
      [`GET ${BASE}/7/status`]: () => ({
        body: running ? { ...IDLE, run_id: "r1", running: true, progress: PROGRESS } : IDLE,
      }),
      [`POST ${BASE}/7/sync`]: () => {
        running = true;
        return { status: 202, body: { workflow_id: "channels:1:7:sync", run_id: "r1", started: true } };
      },
    });
    renderApp("/shops/1/channels");
    fireEvent.click(await screen.findByRole("button", { name: "Sync now" }));
    expect(await screen.findByTestId("channel-progress-7")).toHaveTextContent(
      "importing orders: orders 100 new of 250 (page 1/3), stock pushed 0",
    );
    expect(fake.callsTo(`POST ${BASE}/7/sync`)).toHaveLength(1);
  });

  it("lets the owner connect a store with its URL, key and secret", async () => {
    const fake = api({
      "GET /api/auth/me": { body: OWNER },
      [`POST ${BASE}`]: { status: 201, body: { ...CONNECTION, id: 8 } },
    });
    renderApp("/shops/1/channels");
    fireEvent.click(await screen.findByRole("button", { name: "Connect WooCommerce" }));
    fireEvent.change(screen.getByLabelText("Name", { exact: false }), { target: { value: "Druhý obchod" } });
    fireEvent.change(screen.getByLabelText("Store address", { exact: false }), { target: { value: "https://druhy.example.cz" } });
    fireEvent.change(screen.getByLabelText("Consumer key", { exact: false }), { target: { value: "ck_1234567890" } });
    fireEvent.change(screen.getByLabelText("Consumer secret", { exact: false }), { target: { value: "cs_1234567890" } });
    fireEvent.click(screen.getByRole("button", { name: "Connect" }));
    await waitFor(() => expect(fake.callsTo(`POST ${BASE}`)).toHaveLength(1));
    expect(fake.callsTo(`POST ${BASE}`)[0]?.body).toEqual({
      kind: "woocommerce", name: "Druhý obchod", base_url: "https://druhy.example.cz",
      consumer_key: "ck_1234567890", consumer_secret: "cs_1234567890",
    });
  });

  it("speaks Czech", async () => {
    window.localStorage.setItem("shopops.locale", "cs");
    api();
    renderApp("/shops/1/channels");
    expect(await screen.findByRole("heading", { name: "Prodejní kanály" })).toBeInTheDocument();
    expect(await screen.findByTestId("channel-row")).toHaveTextContent("poslední synchronizace selhala");
    expect(screen.getByRole("button", { name: "Synchronizovat" })).toBeInTheDocument();
    expect(screen.getByText("Přeprodané objednávky")).toBeInTheDocument();
  });

  it("lets the owner change a connection's settings and replace its keys, sending only what changed", async () => {
    const fake = api({
      "GET /api/auth/me": { body: OWNER },
      [`PATCH ${BASE}/7`]: { body: { ...CONNECTION, sync_interval_minutes: 60, stock_push_enabled: false, catalog_push_enabled: true } },
    });
    renderApp("/shops/1/channels");
    fireEvent.click(await screen.findByRole("button", { name: "Settings Woo e-shop" }));
    const form = await screen.findByTestId("channel-settings-form");
    // keys are write-only: empty inputs, only the stored key's last characters are named
    expect(screen.getByLabelText("New consumer key")).toHaveValue("");
    expect(screen.getByLabelText("New consumer secret")).toHaveValue("");
    expect(form).toHaveTextContent("The stored key ends with …abcd.");
    expect(screen.getByLabelText("Name")).toHaveValue("Woo e-shop");
    fireEvent.change(screen.getByLabelText("Sync every (minutes)"), { target: { value: "60" } });
    fireEvent.click(screen.getByRole("switch", { name: /Push stock to the store/ }));
    fireEvent.click(screen.getByRole("switch", { name: /Push prices to the store/ }));
    fireEvent.change(screen.getByLabelText("New consumer key"), { target: { value: "ck_new_key_1234" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(fake.callsTo(`PATCH ${BASE}/7`)).toHaveLength(1));
    expect(fake.callsTo(`PATCH ${BASE}/7`)[0]?.body).toEqual({
      sync_interval_minutes: 60, stock_push_enabled: false, catalog_push_enabled: true, consumer_key: "ck_new_key_1234",
    });
    await waitFor(() => expect(screen.queryByTestId("channel-settings-form")).not.toBeInTheDocument());
  });

  it("checks the interval before sending and shows the API's validation problem at its field", async () => {
    const fake = api({
      "GET /api/auth/me": { body: OWNER },
      [`PATCH ${BASE}/7`]: problem(422, "Invalid request", "body.consumer_secret: String should have at least 8 characters", {
        errors: [{ loc: ["body", "consumer_secret"], msg: "String should have at least 8 characters", type: "string_too_short" }],
      }),
    });
    renderApp("/shops/1/channels");
    fireEvent.click(await screen.findByRole("button", { name: "Settings Woo e-shop" }));
    await screen.findByTestId("channel-settings-form");
    fireEvent.change(screen.getByLabelText("Sync every (minutes)"), { target: { value: "2" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("Enter whole minutes from 5 to 1440.")).toBeInTheDocument();
    expect(fake.callsTo(`PATCH ${BASE}/7`)).toHaveLength(0);

    fireEvent.change(screen.getByLabelText("Sync every (minutes)"), { target: { value: "30" } });
    fireEvent.change(screen.getByLabelText("New consumer secret"), { target: { value: "short" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("String should have at least 8 characters")).toBeInTheDocument();
    expect(fake.callsTo(`PATCH ${BASE}/7`)).toHaveLength(1);
    expect(screen.getByTestId("channel-settings-form")).toBeInTheDocument(); // stays open to fix
  });

  it("shows a problem without fields (e.g. Temporal down) above the buttons, in Czech", async () => {
    window.localStorage.setItem("shopops.locale", "cs");
    api({
      "GET /api/auth/me": { body: OWNER },
      [`PATCH ${BASE}/7`]: problem(503, "Could not schedule the channel sync", "Temporal refused: unavailable"),
    });
    renderApp("/shops/1/channels");
    fireEvent.click(await screen.findByRole("button", { name: "Nastavení Woo e-shop" }));
    expect(await screen.findByText("Uložený klíč končí …abcd. Klíče se nikdy nezobrazují; vyplňte nové, jen pokud je chcete vyměnit.")).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("Název"), { target: { value: "Woo obchod" } });
    fireEvent.click(screen.getByRole("button", { name: "Uložit" }));
    expect(await screen.findByText("Temporal refused: unavailable")).toBeInTheDocument();
    expect(screen.getByText("Neuloženo")).toBeInTheDocument();
  });
});
