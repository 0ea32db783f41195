/** The global search box: shortcut, grouped results, arrow keys and Enter open the record. */

import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useLocation } from "react-router-dom";
import { describe, expect, it } from "vitest";

import { hitPath, type SearchHit } from "../../api/search";
import { fakeApi } from "../../test/api";
import { renderWithProviders } from "../../test/render";
import { GlobalSearch } from "./GlobalSearch";
import { searchMessages } from "./messages";

const HITS = [
  { shop_id: 1, kind: "product", ref: "g-1", title: "Žluťoučký kůň", code: "ZK-1", subtitle: "Alfa", status: "visible",
    price: "250.00", score: 1.2, highlight: "Žluťoučký <mark>kůň</mark>" },
  { shop_id: 1, kind: "order", ref: "2025000123", title: "2025000123", code: "2025000123", subtitle: "Jana Nováková",
    status: "Vyřízena", price: "990.00", score: 0.9, highlight: "2025000123" },
  { shop_id: 2, kind: "customer", ref: "c-7", title: "Jana Nováková", code: null, subtitle: "jana@example.cz",
    status: null, price: null, score: 0.5, highlight: "Jana Nováková" },
];

function Where() {
  const location = useLocation();
  return <div data-testid="where">{location.pathname + location.search}</div>;
}

function answer(url: URL) {
  const q = url.searchParams.get("q") ?? "";
  return { body: { query: q, hits: q === "kun" ? HITS : [], facets: { kind: [], status: [], category: [], brand: [], price: [] } } };
}

describe("GlobalSearch", () => {
  it("opens on Ctrl+K, groups the hits and opens the chosen one with the arrow keys and Enter", async () => {
    const api = fakeApi({ "GET /api/search": answer });
    renderWithProviders(<><GlobalSearch /><Where /></>, "/shops");
    await userEvent.keyboard("{Control>}k{/Control}");
    const input = await screen.findByRole("combobox");
    await userEvent.type(input, "kun");
    expect(await screen.findByText("Products")).toBeInTheDocument();
    expect(screen.getByText("Orders")).toBeInTheDocument();
    expect(screen.getByText("Customers")).toBeInTheDocument();
    expect(screen.getByText("kůň").tagName).toBe("MARK");
    const options = screen.getAllByRole("option");
    expect(options[0]).toHaveAttribute("aria-selected", "true");
    await userEvent.keyboard("{ArrowDown}");
    expect(options[1]).toHaveAttribute("aria-selected", "true");
    await userEvent.keyboard("{Enter}");
    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent("/shops/1/orders?order=2025000123"));
    expect(api.callsTo("GET /api/search").at(-1)?.url.searchParams.get("q")).toBe("kun");
  });

  it("opens on '/' and says when nothing is found", async () => {
    fakeApi({ "GET /api/search": answer });
    renderWithProviders(<GlobalSearch />, "/shops");
    await userEvent.keyboard("/");
    await userEvent.type(await screen.findByRole("combobox"), "qqq");
    expect(await screen.findByTestId("search-empty")).toHaveTextContent("Nothing found for “qqq”.");
  });

  it("opens a customer in the customer view when clicked", async () => {
    fakeApi({ "GET /api/search": answer });
    renderWithProviders(<><GlobalSearch /><Where /></>, "/shops");
    await userEvent.click(screen.getByTestId("search-open"));
    await userEvent.type(await screen.findByRole("combobox"), "kun");
    await screen.findByText("Customers");
    await userEvent.click(screen.getAllByRole("option")[2]!);
    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent("/shops/2/customers?customer=c-7"));
  });

  it("opens a product in its variant's inventory view, an order in its drawer", () => {
    const [product, order, customer] = HITS as SearchHit[];
    expect(hitPath(product!)).toBe("/shops/1/inventory?variant=ZK-1");
    expect(hitPath({ ...product!, code: null })).toBe("/shops/1/inventory");
    expect(hitPath(order!)).toBe("/shops/1/orders?order=2025000123");
    expect(hitPath(customer!)).toBe("/shops/2/customers?customer=c-7");
  });

  it("has every word in Czech too", () => {
    expect(Object.keys(searchMessages.cs).sort()).toEqual(Object.keys(searchMessages.en).sort());
    for (const value of Object.values(searchMessages.cs)) expect(value).not.toBe("");
  });
});
