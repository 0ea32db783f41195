/** Revenue and orders split by sales channel for the period the orders list is filtered to: a
 * bar per channel (its share of the revenue) and a table, one row per channel and currency. */

import { Card, Group, Progress, Stack, Table, Text, Title } from "@mantine/core";

import { useChannelSales, type SalesPeriod } from "../../api/channels";
import { QueryState } from "../../components/QueryState";
import { useFormat, useT } from "../../i18n/locale";
import { useChannelsT } from "./messages";

const COLORS: Record<string, string> = { shoptet: "blue", woocommerce: "grape", b2b: "teal" };

export function SalesByChannel({ shopId, period }: { shopId: number; period: SalesPeriod }) {
  const t = useChannelsT();
  const common = useT();
  const f = useFormat();
  const sales = useChannelSales(shopId, period);
  const rows = sales.data ?? [];
  // shares within each currency: revenue in different currencies is never added up
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(r.currency, (totals.get(r.currency) ?? 0) + Number(r.revenue));
  const share = (revenue: string, currency: string) => {
    const total = totals.get(currency) ?? 0;
    return total > 0 ? (100 * Number(revenue)) / total : 0;
  };
  return (
    <Card withBorder data-testid="sales-by-channel">
      <Stack gap="xs">
        <Group justify="space-between" align="baseline">
          <Title order={4}>{t("salesTitle")}</Title>
          <Text size="xs" c="dimmed">
            {period.created_from || period.created_to ? t("salesPeriodFiltered") : t("salesPeriodAll")}
          </Text>
        </Group>
        <QueryState query={sales} isEmpty={rows.length === 0} empty={t("salesEmpty")}>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("kind")}</Table.Th>
                <Table.Th ta="right">{t("salesOrders")}</Table.Th>
                <Table.Th ta="right">{t("salesRevenue")}</Table.Th>
                <Table.Th w="40%">{t("salesShare")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((r) => {
                const pct = share(r.revenue, r.currency);
                return (
                  <Table.Tr key={`${r.channel}:${r.currency}`} data-testid="sales-row">
                    <Table.Td>{common(`channel.${r.channel}`)}</Table.Td>
                    <Table.Td ta="right">{f.number(r.orders)}</Table.Td>
                    <Table.Td ta="right">{f.money(r.revenue, r.currency)}</Table.Td>
                    <Table.Td>
                      <Group gap="xs" wrap="nowrap">
                        <Progress
                          value={pct}
                          color={COLORS[r.channel] ?? "gray"}
                          style={{ flex: 1 }}
                          aria-label={t("salesShareOf", { channel: common(`channel.${r.channel}`), currency: r.currency })}
                        />
                        <Text size="xs" w={40} ta="right">
                          {f.number(Math.round(pct))} %
                        </Text>
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </QueryState>
      </Stack>
    </Card>
  );
}
