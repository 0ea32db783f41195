/** Price sensitivity: each product's (or category's) own-price elasticity with its interval,
 * or why it is unknown, and the regular price discounts are measured against. */

import { Badge, SegmentedControl, Stack, Table, Text } from "@mantine/core";
import { useState } from "react";

import { usePriceSensitivity, type Elasticity } from "../../api/customers";
import { LoadMore } from "../../components/LoadMore";
import { QueryState } from "../../components/QueryState";
import { useFormat } from "../../i18n/locale";
import { useCustomersT, type CustomersMessageKey } from "./messages";

const REASONS = [
  "few_weeks",
  "price_never_moved",
  "one_price_level",
  "small_price_spread",
  "moved_with_shop",
  "no_product_moved",
] as const;

export function PriceSensitivityTable({ shopId, currency }: { shopId: number; currency: string }) {
  const t = useCustomersT();
  const f = useFormat();
  const [scope, setScope] = useState<Elasticity["scope"]>("product");
  const list = usePriceSensitivity(shopId, scope);
  const reason = (row: Elasticity): string | null => {
    const known = REASONS.find((code) => code === row.reason);
    if (!known) return row.reason;
    const key: CustomersMessageKey = `reason.${known}`;
    return t(key, { weeks: f.number(row.weeks), spread: f.percent(100 * row.price_spread) });
  };
  return (
    <Stack>
      <Text size="sm" c="dimmed">
        {t("pricesHelp")}
      </Text>
      <SegmentedControl
        w={280}
        value={scope}
        onChange={(value) => setScope(value === "category" ? "category" : "product")}
        data={[
          { value: "product", label: t("scopeProducts") },
          { value: "category", label: t("scopeCategories") },
        ]}
      />
      <QueryState query={list} isEmpty={list.items.length === 0} empty={t("pricesEmpty")}>
        <Table striped verticalSpacing="xs" data-testid="price-sensitivity-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{scope === "product" ? t("product") : t("category")}</Table.Th>
              <Table.Th ta="right">{t("elasticity")}</Table.Th>
              <Table.Th ta="right">{t("interval")}</Table.Th>
              <Table.Th ta="right">{t("weeks")}</Table.Th>
              <Table.Th ta="right">{t("priceSpread")}</Table.Th>
              {scope === "product" && <Table.Th ta="right">{t("regularPrice")}</Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.items.map((row) => (
              <Table.Tr key={`${row.scope}:${row.key}`}>
                <Table.Td>
                  <Text size="sm">{row.name ?? row.key}</Text>
                  {row.scope === "product" && (
                    <Text size="xs" c="dimmed">
                      {row.key}
                      {row.category ? ` · ${row.category}` : ""}
                    </Text>
                  )}
                </Table.Td>
                {row.status === "estimated" && row.elasticity !== null ? (
                  <>
                    <Table.Td ta="right">{f.number(row.elasticity, 2)}</Table.Td>
                    <Table.Td ta="right">
                      {row.ci_low === null || row.ci_high === null ? "–" : `${f.number(row.ci_low, 2)} … ${f.number(row.ci_high, 2)}`}
                    </Table.Td>
                  </>
                ) : (
                  <Table.Td ta="right" colSpan={2}>
                    <Badge variant="light" color="gray">
                      {t("unknown")}
                    </Badge>
                    {row.reason && (
                      <Text size="xs" c="dimmed" data-testid="unknown-reason">
                        {reason(row)}
                      </Text>
                    )}
                  </Table.Td>
                )}
                <Table.Td ta="right">{f.number(row.weeks)}</Table.Td>
                <Table.Td ta="right">{f.percent(100 * row.price_spread)}</Table.Td>
                {scope === "product" && <Table.Td ta="right">{f.money(row.reference_price, currency)}</Table.Td>}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <LoadMore {...list} />
      </QueryState>
    </Stack>
  );
}
