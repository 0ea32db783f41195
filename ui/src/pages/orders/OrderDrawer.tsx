/** One order with its items and addresses, in a drawer over the list. */

import { Badge, Code, Drawer, Group, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";

import { useOrder } from "../../api/orders";
import type { Order } from "../../api/types";
import { EmptyState, QueryState } from "../../components/QueryState";
import { useFormat, useLocale, useT } from "../../i18n/locale";
import type { MessageKey } from "../../i18n/messages";
import { addressLines } from "./address";

function Address({ title, value, extra }: { title: string; value: unknown; extra?: string | null }) {
  const { locale } = useLocale();
  const lines = [...addressLines(locale, value), ...(extra ? [extra] : [])];
  if (!lines.length) return null;
  return (
    <div data-testid="address">
      <Text size="xs" c="dimmed">
        {title}
      </Text>
      {lines.map((line, i) => (
        <Text size="sm" key={i}>
          {line}
        </Text>
      ))}
    </div>
  );
}

function billingOf(order: Order): Record<string, unknown> {
  const keys = ["billing_name", "billing_company", "billing_street", "billing_city", "billing_zip", "billing_country"];
  const fromFields = Object.fromEntries(keys.filter((k) => k in order).map((k) => [k, order[k]]));
  return (order.billing_address as Record<string, unknown> | undefined) ?? fromFields;
}

const ITEM_TYPES = new Set([
  "product", "bazar", "service", "shipping", "billing", "discount-coupon", "volume-discount",
  "gift", "gift-certificate", "generic-item", "product-set", "product-set-item", "deposit",
]);

/** Shoptet's item type in the user's words; an unknown type is shown as sent. */
function useItemType() {
  const t = useT();
  return (type: string) => (ITEM_TYPES.has(type) ? t(`itemType.${type}` as MessageKey) : type);
}

function OrderBody({ order }: { order: Order }) {
  const t = useT();
  const f = useFormat();
  const itemType = useItemType();
  return (
    <Stack>
      <Group>
        <Text>{f.dateTime(order.created_at)}</Text>
        {order.status_name && <Badge variant="light">{order.status_name}</Badge>}
        {order.paid !== null && (
          <Badge color={order.paid ? "teal" : "gray"} variant="light">
            {t("orders.paid")}: {order.paid ? t("orders.yes") : t("orders.no")}
          </Badge>
        )}
      </Group>
      <Text fw={600} size="lg" data-testid="order-total">
        {f.money(order.total_with_vat, order.currency)}
      </Text>
      <SimpleGrid cols={2}>
        <Address title={t("order.billing")} value={billingOf(order)} extra={order.email} />
        <Address title={t("order.delivery")} value={order.delivery_address} />
      </SimpleGrid>
      {order.items.length === 0 ? (
        <EmptyState>{t("order.itemsEmpty")}</EmptyState>
      ) : (
        <Table striped fz="sm" data-testid="order-items">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("order.item")}</Table.Th>
              <Table.Th ta="right">{t("order.amount")}</Table.Th>
              <Table.Th ta="right">{t("order.unitPrice")}</Table.Th>
              <Table.Th ta="right">{t("order.price")}</Table.Th>
              <Table.Th ta="right">{t("order.vat")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {order.items.map((item) => (
              <Table.Tr key={item.item_id}>
                <Table.Td>
                  <Text size="sm">{item.name}</Text>
                  <Text size="xs" c="dimmed">
                    {[item.code, item.variant_name, itemType(item.item_type)].filter(Boolean).join(" · ")}
                  </Text>
                </Table.Td>
                <Table.Td ta="right">{f.number(item.amount, 3)}</Table.Td>
                <Table.Td ta="right">{f.money(item.unit_price_with_vat, order.currency)}</Table.Td>
                <Table.Td ta="right">{f.money(item.price_with_vat, order.currency)}</Table.Td>
                <Table.Td ta="right">{item.vat_rate === null ? "–" : `${f.number(item.vat_rate, 2)} %`}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Code block>{order.code}</Code>
    </Stack>
  );
}

export function OrderDrawer({ shopId, code, onClose }: { shopId: number; code: string | null; onClose: () => void }) {
  const t = useT();
  const order = useOrder(shopId, code ?? undefined);
  return (
    <Drawer
      opened={Boolean(code)}
      onClose={onClose}
      position="right"
      size="xl"
      title={<Title order={3}>{t("order.title", { code: code ?? "" })}</Title>}
    >
      <QueryState query={order}>{order.data && <OrderBody order={order.data} />}</QueryState>
    </Drawer>
  );
}
