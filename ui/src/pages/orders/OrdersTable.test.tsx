/** The virtualised orders table keeps the DOM small and asks for the next page near the end. */

import { fireEvent, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { OrderRow } from "../../api/types";
import { renderWithProviders } from "../../test/render";
import { OrdersTable, ROW_HEIGHT } from "./OrdersTable";

function makeOrders(count: number): OrderRow[] {
  return Array.from({ length: count }, (_, i) => ({
    code: `2024${String(i).padStart(6, "0")}`,
    created_at: "2024-05-01T10:00:00+00:00",
    status_id: 1,
    status_name: "New",
    billing_name: `Customer ${i}`,
    email: `c${i}@example.com`,
    total_with_vat: "1234.50",
    currency: "CZK",
    paid: i % 2 === 0,
    item_count: 2,
    channel: i % 3 === 0 ? "woocommerce" : "shoptet",
  }));
}

const VIEWPORT = 600;

beforeEach(() => {
  // jsdom does no layout; give the scroll container the size a browser would.
  vi.spyOn(Element.prototype, "clientHeight", "get").mockReturnValue(VIEWPORT);
  vi.spyOn(Element.prototype, "clientWidth", "get").mockReturnValue(1000);
});
afterEach(() => vi.restoreAllMocks());

describe("OrdersTable", () => {
  it("renders a bounded number of rows for 100 000 orders", () => {
    const items = makeOrders(100_000);
    renderWithProviders(
      <OrdersTable items={items} hasNextPage={false} isFetchingNextPage={false} fetchNextPage={vi.fn()} onOpen={vi.fn()} />,
    );
    const rows = screen.getAllByTestId("order-row");
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(60);
    expect(screen.getByRole("table")).toHaveAttribute("aria-rowcount", "100000");
  });

  it("renders the rows at the scroll position, and fetches the next page near the end", () => {
    const items = makeOrders(1000);
    const fetchNextPage = vi.fn();
    renderWithProviders(
      <OrdersTable items={items} hasNextPage isFetchingNextPage={false} fetchNextPage={fetchNextPage} onOpen={vi.fn()} />,
    );
    expect(fetchNextPage).not.toHaveBeenCalled();
    const scroller = screen.getByTestId("orders-scroll");
    scroller.scrollTop = 500 * ROW_HEIGHT;
    fireEvent.scroll(scroller);
    const indexes = screen.getAllByTestId("order-row").map((r) => Number(r.dataset.index));
    expect(Math.min(...indexes)).toBeGreaterThan(450);
    expect(fetchNextPage).not.toHaveBeenCalled();
    scroller.scrollTop = 1000 * ROW_HEIGHT - VIEWPORT;
    fireEvent.scroll(scroller);
    expect(fetchNextPage).toHaveBeenCalled();
    expect(screen.getAllByTestId("order-row").length).toBeLessThan(60);
  });

  it("opens an order on click", () => {
    const onOpen = vi.fn();
    renderWithProviders(
      <OrdersTable items={makeOrders(3)} hasNextPage={false} isFetchingNextPage={false} fetchNextPage={vi.fn()} onOpen={onOpen} />,
    );
    fireEvent.click(screen.getByText("2024000001"));
    expect(onOpen).toHaveBeenCalledWith("2024000001");
  });
});
