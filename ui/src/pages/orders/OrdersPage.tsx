/** A shop's orders: filters, revenue and orders split by channel for the filtered period, a
 * virtualised cursor-paginated list, and the order drawer. */

import { Group, Stack, Text, Title } from "@mantine/core";

import type { SalesPeriod } from "../../api/channels";
import { useOrders } from "../../api/orders";
import { useShopCounts } from "../../api/shops";
import { SALES_CHANNELS, type OrderFilters } from "../../api/types";
import { QueryState } from "../../components/QueryState";
import { useCurrentShop } from "../../components/ShopScope";
import { useSearchUpdate } from "../../components/useSearchUpdate";
import { useFormat, useT } from "../../i18n/locale";
import { SalesByChannel } from "../channels/SalesByChannel";
import { ExportOrdersButton } from "./ExportOrdersButton";
import { OrderDrawer } from "./OrderDrawer";
import { OrderFiltersBar, type FilterValues } from "./OrderFiltersBar";
import { OrdersTable } from "./OrdersTable";

/** Shorter search text is not sent: the API matches codes, names and e-mails from 3 characters. */
export const MIN_QUERY = 3;

/** A picked day (YYYY-MM-DD, the user's time zone) as the instant it starts. */
export function dayStart(day: string, plusDays = 0): string {
  const [y, m, d] = day.slice(0, 10).split("-").map(Number);
  return new Date(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + plusDays).toISOString();
}

/** The API filters: `created_to` is the start of the day after the picked one, so the day is included. */
export function toApiFilters(values: FilterValues): OrderFilters {
  const filters: OrderFilters = {};
  if (values.from) filters.created_from = dayStart(values.from);
  if (values.to) filters.created_to = dayStart(values.to, 1);
  if (values.status) filters.status_id = Number(values.status);
  const channel = SALES_CHANNELS.find((c) => c === values.channel);
  if (channel) filters.channel = channel;
  if (values.q.trim().length >= MIN_QUERY) filters.q = values.q.trim();
  return filters;
}

/** The period of the orders filters, for the split by channel. */
function salesPeriod(filters: OrderFilters): SalesPeriod {
  const period: SalesPeriod = {};
  if (filters.created_from) period.created_from = filters.created_from;
  if (filters.created_to) period.created_to = filters.created_to;
  return period;
}

export function OrdersPage() {
  const t = useT();
  const f = useFormat();
  const shop = useCurrentShop();
  const [params, update] = useSearchUpdate();
  const values: FilterValues = {
    from: params.get("from"),
    to: params.get("to"),
    status: params.get("status"),
    channel: params.get("channel"),
    q: params.get("q") ?? "",
  };
  const apiFilters = toApiFilters(values);
  const orders = useOrders(shop.id, apiFilters);
  const counts = useShopCounts(shop.id);
  const openCode = params.get("order");

  return (
    <Stack>
      <Group justify="space-between" align="baseline">
        <Title order={2}>{t("orders.title")}</Title>
        <Group gap="sm" align="baseline">
          <Text size="sm" c="dimmed" data-testid="orders-summary">
            {counts.data && t("orders.count", { count: f.number(counts.data.orders) })}
            {orders.items.length > 0 && ` · ${t("orders.loaded", { loaded: f.number(orders.items.length) })}`}
          </Text>
          <ExportOrdersButton shopId={shop.id} filters={apiFilters} />
        </Group>
      </Group>
      <OrderFiltersBar
        shopId={shop.id}
        values={values}
        onChange={(next) => update({ from: next.from, to: next.to, status: next.status, channel: next.channel, q: next.q })}
      />
      <SalesByChannel shopId={shop.id} period={salesPeriod(apiFilters)} />
      <QueryState query={orders} isEmpty={orders.items.length === 0} empty={t("orders.empty")}>
        <OrdersTable
          items={orders.items}
          hasNextPage={orders.hasNextPage && !orders.isFetchNextPageError}
          isFetchingNextPage={orders.isFetchingNextPage}
          fetchNextPage={orders.fetchNextPage}
          onOpen={(code) => update({ order: code })}
        />
      </QueryState>
      <OrderDrawer shopId={shop.id} code={openCode} onClose={() => update({ order: null })} />
    </Stack>
  );
}
