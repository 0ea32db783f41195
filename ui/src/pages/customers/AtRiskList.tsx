/** The at-risk list: customers by CLV at risk or by profit CLV, filtered by segment and churn
 * risk, with how they buy (full price or on discount) and whether to offer them a discount;
 * cursor pages, and the same list as a streamed CSV download. */

import { Badge, Button, Group, NumberInput, Table, Text } from "@mantine/core";

import {
  CUSTOMER_SORTS,
  SEGMENT_KEYS,
  atRiskCsvUrl,
  useAtRiskCustomers,
  type AtRiskFilters,
  type CustomerRow,
  type SegmentKey,
} from "../../api/customers";
import { FilterSelect } from "../../components/FilterSelect";
import { LinkButton } from "../../components/LinkButton";
import { LoadMore } from "../../components/LoadMore";
import { QueryState } from "../../components/QueryState";
import type { SearchUpdate } from "../../components/useSearchUpdate";
import { useFormat } from "../../i18n/locale";
import { useCustomersT } from "./messages";

export const DEFAULT_MIN_CHURN_RISK = 0.5;

export function atRiskFilters(segment: string | null, risk: string | null, sort: string | null = null): AtRiskFilters {
  const chosen = SEGMENT_KEYS.find((key) => key === segment);
  const parsed = risk === null ? NaN : Number(risk);
  const min = Number.isFinite(parsed) && parsed >= 0 && parsed <= 1 ? parsed : DEFAULT_MIN_CHURN_RISK;
  const filters: AtRiskFilters = chosen ? { segment: chosen, min_churn_risk: min } : { min_churn_risk: min };
  // the default order stays out of the URL and the query
  return sort === "clv_profit" ? { ...filters, sort: "clv_profit" } : filters;
}

/** How the customer buys and whether to offer them a discount, as badges. */
export function PriceBadges({ customer }: { customer: CustomerRow }) {
  const t = useCustomersT();
  return (
    <Group gap={4} wrap="nowrap">
      {customer.price_buyer && (
        <Badge variant="light" color={customer.price_buyer === "full_price" ? "teal" : customer.price_buyer === "mixed" ? "gray" : "orange"}>
          {t(`buyer.${customer.price_buyer}`)}
        </Badge>
      )}
      {customer.discount_advice && (
        <Badge variant="outline" color={customer.discount_advice === "offer" ? "orange" : "teal"} title={t("adviceHelp")}>
          {t(`advice.${customer.discount_advice}`)}
        </Badge>
      )}
    </Group>
  );
}

export function AtRiskList({
  shopId,
  currency,
  segment,
  risk,
  sort,
  onFilter,
  onOpen,
}: {
  shopId: number;
  currency: string;
  segment: string | null;
  risk: string | null;
  sort: string | null;
  onFilter: SearchUpdate;
  onOpen: (key: string) => void;
}) {
  const t = useCustomersT();
  const f = useFormat();
  const filters = atRiskFilters(segment, risk, sort);
  const list = useAtRiskCustomers(shopId, filters);
  return (
    <>
      <Group justify="space-between" align="flex-end" mb="sm">
        <Group align="flex-end">
          <FilterSelect
            label={t("segment")}
            w={220}
            value={filters.segment}
            allLabel={t("anySegment")}
            options={SEGMENT_KEYS.map((key: SegmentKey) => ({ value: key, label: t(`segment.${key}`) }))}
            onChange={(value) => onFilter({ segment: value })}
          />
          <NumberInput
            label={t("minChurnRisk")}
            w={160}
            min={0}
            max={1}
            step={0.1}
            decimalScale={2}
            value={filters.min_churn_risk}
            onChange={(value) => onFilter({ risk: value === "" ? null : String(value) })}
          />
          <FilterSelect
            label={t("sortBy")}
            w={180}
            value={filters.sort}
            allLabel={t("sort.clv_at_risk")}
            options={CUSTOMER_SORTS.filter((key) => key !== "clv_at_risk").map((key) => ({ value: key, label: t(`sort.${key}`) }))}
            onChange={(value) => onFilter({ sort: value })}
          />
        </Group>
        <Button component="a" href={atRiskCsvUrl(shopId, filters)} variant="light" data-testid="export-csv">
          {t("exportCsv")}
        </Button>
      </Group>
      <QueryState query={list} isEmpty={list.items.length === 0} empty={t("atRiskEmpty")}>
        <Table striped highlightOnHover verticalSpacing="xs" data-testid="at-risk-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("customer")}</Table.Th>
              <Table.Th>{t("segment")}</Table.Th>
              <Table.Th ta="right">{t("clvAtRisk")}</Table.Th>
              <Table.Th ta="right">{t("churnRisk")}</Table.Th>
              <Table.Th ta="right">{t("clv")}</Table.Th>
              <Table.Th ta="right">{t("clvProfit")}</Table.Th>
              <Table.Th>{t("priceBuyer")}</Table.Th>
              <Table.Th ta="right">{t("orders")}</Table.Th>
              <Table.Th>{t("lastOrder")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.items.map((c) => (
              <Table.Tr key={c.customer_key}>
                <Table.Td>
                  <LinkButton onClick={() => onOpen(c.customer_key)}>{c.name || c.email || c.customer_key}</LinkButton>
                </Table.Td>
                <Table.Td>{t(`segment.${c.segment}`)}</Table.Td>
                <Table.Td ta="right">{f.money(c.clv_at_risk, currency)}</Table.Td>
                <Table.Td ta="right">{c.churn_risk === null ? "–" : f.percent(100 * c.churn_risk)}</Table.Td>
                <Table.Td ta="right">{f.money(c.clv_12m, currency)}</Table.Td>
                <Table.Td ta="right">{f.money(c.clv_profit_12m, currency)}</Table.Td>
                <Table.Td>
                  <PriceBadges customer={c} />
                </Table.Td>
                <Table.Td ta="right">{f.number(c.orders)}</Table.Td>
                <Table.Td>
                  <Text size="sm">{f.date(c.last_order_at)}</Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <LoadMore {...list} />
      </QueryState>
    </>
  );
}
