/** One customer: standing, the model's view of them, and what to offer next. */

import { Drawer, List, SimpleGrid, Stack, Text, Title } from "@mantine/core";

import { useCustomer, type CustomerDetail } from "../../api/customers";
import { QueryState } from "../../components/QueryState";
import { useFormat } from "../../i18n/locale";
import { PriceBadges } from "./AtRiskList";
import { useCustomersT } from "./messages";

function Fact({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <Stack gap={0}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={500} data-testid={testId}>
        {value}
      </Text>
    </Stack>
  );
}

function Detail({ customer, currency }: { customer: CustomerDetail; currency: string }) {
  const t = useCustomersT();
  const f = useFormat();
  const share = (value: number | null) => (value === null ? "–" : f.percent(100 * value));
  return (
    <Stack>
      <Text c="dimmed">
        {customer.email ?? customer.customer_key} · {t(`segment.${customer.segment}`)}
      </Text>
      <SimpleGrid cols={2}>
        <Fact label={t("pAlive")} value={share(customer.p_alive)} testId="customer-p-alive" />
        <Fact label={t("churnRisk")} value={share(customer.churn_risk)} />
        <Fact label={t("expected90")} value={customer.expected_purchases_90d === null ? "–" : f.number(customer.expected_purchases_90d, 2)} />
        <Fact label={t("clv")} value={f.money(customer.clv_12m, currency)} testId="customer-clv" />
        <Fact
          label={t("nextPurchase")}
          value={customer.p_alive === null ? "–" : customer.next_purchase_at ? f.date(customer.next_purchase_at) : t("nextPurchaseNone")}
        />
        <Fact label={t("clvAtRisk")} value={f.money(customer.clv_at_risk, currency)} />
        <Fact label={t("orders")} value={f.number(customer.orders)} />
        <Fact label={t("totalValue")} value={f.money(customer.total_value, currency)} />
        <Fact label={t("firstOrder")} value={f.date(customer.first_order_at)} />
        <Fact label={t("lastOrder")} value={f.date(customer.last_order_at)} />
        <Fact label={t("rfm")} value={`${customer.r_score} · ${customer.f_score} · ${customer.m_score}`} />
        <Fact label={t("profitTotal")} value={f.money(customer.profit_total, currency)} testId="customer-profit" />
        <Fact label={t("clvProfit")} value={f.money(customer.clv_profit_12m, currency)} testId="customer-clv-profit" />
        <Fact label={t("marginRate")} value={share(customer.margin_rate)} />
        <Fact label={t("discountShare")} value={share(customer.discount_share)} />
      </SimpleGrid>
      <PriceBadges customer={customer} />
      {customer.p_alive === null && <Text size="sm" c="dimmed">{t("modelColumnsMissing")}</Text>}
      <Title order={4}>{t("recommendations")}</Title>
      {customer.recommendations.length === 0 ? (
        <Text c="dimmed">{t("recommendationsEmpty")}</Text>
      ) : (
        <List data-testid="recommendations">
          {customer.recommendations.map((r) => (
            <List.Item key={r.code}>
              <Text size="sm" fw={500} span>
                {r.name ?? r.code}
              </Text>{" "}
              <Text size="xs" c="dimmed" span>
                {r.code} · {t("because", { items: r.because.join(", ") })}
              </Text>
            </List.Item>
          ))}
        </List>
      )}
    </Stack>
  );
}

export function CustomerDrawer({
  shopId,
  currency,
  customerKey,
  onClose,
}: {
  shopId: number;
  currency: string;
  customerKey: string | null;
  onClose: () => void;
}) {
  const t = useCustomersT();
  const customer = useCustomer(shopId, customerKey);
  return (
    <Drawer
      opened={Boolean(customerKey)}
      onClose={onClose}
      position="right"
      size="lg"
      title={<Text fw={600} size="lg">{customer.data?.name || customer.data?.email || t("customer")}</Text>}
    >
      {customerKey && (
        <QueryState query={customer}>{customer.data && <Detail customer={customer.data} currency={currency} />}</QueryState>
      )}
    </Drawer>
  );
}
