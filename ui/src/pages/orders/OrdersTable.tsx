/**
 * The orders list as a virtualised table: only the rows in view (plus a few) are in the DOM,
 * and the next cursor page is fetched when the user scrolls near the end of what is loaded.
 */

import { Badge, Box, Text } from "@mantine/core";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef, type ReactNode } from "react";

import type { OrderRow } from "../../api/types";
import { useFormat, useT } from "../../i18n/locale";

export const ROW_HEIGHT = 40;
/** Fetch the next page when the last rendered row is this close to the end of the loaded rows. */
export const PREFETCH_ROWS = 50;
const OVERSCAN = 10;
const COLUMNS = "minmax(110px,1fr) minmax(150px,1.2fr) minmax(100px,0.8fr) minmax(110px,1fr) minmax(140px,1.5fr) minmax(160px,1.6fr) minmax(110px,1fr) 70px 70px";

type Props = {
  items: OrderRow[];
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => unknown;
  onOpen: (code: string) => void;
  height?: number | string;
};

function Cell({ children, align = "left" }: { children: ReactNode; align?: "left" | "right" }) {
  return (
    <Box role="cell" px="xs" style={{ overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap", textAlign: align }}>
      {children}
    </Box>
  );
}

export function OrdersTable({ items, hasNextPage, isFetchingNextPage, fetchNextPage, onOpen, height = "calc(100vh - 280px)" }: Props) {
  const t = useT();
  const f = useFormat();
  const scrollRef = useRef<HTMLDivElement>(null);
  const count = items.length + (hasNextPage ? 1 : 0);
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: OVERSCAN,
  });
  const rows = virtualizer.getVirtualItems();
  const lastIndex = rows.length ? (rows[rows.length - 1]?.index ?? -1) : -1;

  useEffect(() => {
    if (lastIndex >= items.length - PREFETCH_ROWS && hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [lastIndex, items.length, hasNextPage, isFetchingNextPage, fetchNextPage]);

  return (
    <Box role="table" aria-rowcount={count} style={{ border: "1px solid var(--mantine-color-gray-3)", borderRadius: 4 }}>
      <Box
        role="row"
        bg="gray.0"
        fw={600}
        fz="sm"
        style={{ display: "grid", gridTemplateColumns: COLUMNS, height: ROW_HEIGHT, alignItems: "center", borderBottom: "1px solid var(--mantine-color-gray-3)" }}
      >
        <Cell>{t("orders.code")}</Cell>
        <Cell>{t("orders.created")}</Cell>
        <Cell>{t("orders.channel")}</Cell>
        <Cell>{t("orders.status")}</Cell>
        <Cell>{t("orders.customer")}</Cell>
        <Cell>{t("orders.email")}</Cell>
        <Cell align="right">{t("orders.total")}</Cell>
        <Cell>{t("orders.paid")}</Cell>
        <Cell align="right">{t("orders.items")}</Cell>
      </Box>
      <div
        ref={scrollRef}
        data-testid="orders-scroll"
        data-loaded={items.length}
        data-has-more={hasNextPage ? "yes" : "no"}
        style={{ height, minHeight: 320, overflowY: "auto", contain: "strict" }}>
        <div style={{ height: virtualizer.getTotalSize(), position: "relative", width: "100%" }}>
          {rows.map((row) => {
            const order = items[row.index];
            const style = {
              position: "absolute" as const,
              top: 0,
              left: 0,
              width: "100%",
              height: row.size,
              transform: `translateY(${row.start}px)`,
            };
            if (!order) {
              return (
                <Box key="loader" role="row" style={style} px="sm" py={10}>
                  <Text size="sm" c="dimmed">
                    {t("orders.loadingMore")}
                  </Text>
                </Box>
              );
            }
            return (
              <Box
                key={order.code}
                role="row"
                aria-rowindex={row.index + 1}
                data-testid="order-row"
                data-index={row.index}
                onClick={() => onOpen(order.code)}
                fz="sm"
                style={{
                  ...style,
                  display: "grid",
                  gridTemplateColumns: COLUMNS,
                  alignItems: "center",
                  cursor: "pointer",
                  borderBottom: "1px solid var(--mantine-color-gray-2)",
                }}
              >
                <Cell>
                  <Text span fw={500} size="sm">
                    {order.code}
                  </Text>
                </Cell>
                <Cell>{f.dateTime(order.created_at)}</Cell>
                <Cell>{t(`channel.${order.channel}`)}</Cell>
                <Cell>{order.status_name ?? "–"}</Cell>
                <Cell>{order.billing_name ?? "–"}</Cell>
                <Cell>{order.email ?? "–"}</Cell>
                <Cell align="right">{f.money(order.total_with_vat, order.currency)}</Cell>
                <Cell>
                  {order.paid === null ? (
                    "–"
                  ) : (
                    <Badge size="xs" variant="light" color={order.paid ? "teal" : "gray"}>
                      {order.paid ? t("orders.yes") : t("orders.no")}
                    </Badge>
                  )}
                </Cell>
                <Cell align="right">{f.number(order.item_count)}</Cell>
              </Box>
            );
          })}
        </div>
      </div>
    </Box>
  );
}
