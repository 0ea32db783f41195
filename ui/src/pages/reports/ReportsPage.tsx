/** A shop's weekly sales reports: the list of weeks, one report with its charts and tables in
 * the viewer's language, its PDF and e-mail view, and "generate now" for managers. */

import { Alert, Anchor, Badge, Button, Card, Group, Select, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { useState } from "react";

import { errorMessage } from "../../api/client";
import { type Report, reportFileUrl, useGenerateReport, useReport, useReports } from "../../api/reports";
import { QueryState } from "../../components/QueryState";
import { useCanManage, useCurrentShop } from "../../components/ShopScope";
import { useFormat, useLocale } from "../../i18n/locale";
import { type ReportsKey, useReportsT } from "./messages";

function Bars({ values, labels }: { values: number[]; labels: string[] }) {
  const top = Math.max(1, ...values);
  const slot = 560 / Math.max(values.length, 1);
  return (
    <svg width="100%" viewBox="0 0 560 180" role="img">
      {values.map((value, i) => {
        const h = (150 * value) / top;
        return (
          <g key={labels[i]}>
            <rect x={i * slot + slot * 0.15} y={160 - h} width={slot * 0.7} height={h} fill="var(--mantine-color-blue-6)">
              <title>{`${labels[i]}: ${value}`}</title>
            </rect>
            <text x={i * slot + slot * 0.5} y={175} fontSize={11} textAnchor="middle">
              {labels[i]}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

function Rows({ title, headers, rows }: { title: string; headers: string[]; rows: string[][] }) {
  const t = useReportsT();
  return (
    <Card withBorder>
      <Title order={4} mb="xs">
        {title}
      </Title>
      {rows.length === 0 ? (
        <Text c="dimmed">{t("reports.none")}</Text>
      ) : (
        <Table>
          <Table.Thead>
            <Table.Tr>
              {headers.map((h) => (
                <Table.Th key={h}>{h}</Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row, i) => (
              <Table.Tr key={i}>
                {row.map((cell, j) => (
                  <Table.Td key={j}>{cell}</Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Card>
  );
}

function ReportView({ shopId, report, lang }: { shopId: number; report: Report; lang: string }) {
  const t = useReportsT();
  const f = useFormat();
  const d = report.data;
  const money = (value: string) => f.money(value, d.currency);
  const kpi = (key: ReportsKey, value: string) => (
    <Card withBorder>
      <Text size="sm" c="dimmed">
        {t(key)}
      </Text>
      <Text fw={700} size="xl">
        {value}
      </Text>
    </Card>
  );
  return (
    <Stack data-testid="report">
      <Group>
        <Anchor href={reportFileUrl(shopId, report.id, "pdf", lang)}>{t("reports.pdf")}</Anchor>
        <Anchor href={reportFileUrl(shopId, report.id, "html", lang)} target="_blank" rel="noreferrer">
          {t("reports.open")}
        </Anchor>
        {report.emailed_to > 0 && <Badge variant="light">{t("reports.emailed", { count: report.emailed_to })}</Badge>}
      </Group>
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        {kpi("reports.revenue", money(d.revenue))}
        {kpi("reports.orders", f.number(d.orders))}
        {kpi("reports.aov", money(d.average_order_value))}
      </SimpleGrid>
      <Text size="sm">{t("reports.previous", { revenue: money(d.previous_revenue), orders: d.previous_orders })}</Text>
      {report.summary && (
        <Alert title={t("reports.summary")} color="blue" variant="light">
          {report.summary}
        </Alert>
      )}
      <Card withBorder>
        <Title order={4}>{t("reports.daily")}</Title>
        <Bars values={d.daily.map((x) => Number(x.revenue))} labels={d.daily.map((x) => f.date(x.day))} />
      </Card>
      <Card withBorder>
        <Title order={4}>{t("reports.channels")}</Title>
        <Bars values={d.channels.map((x) => Number(x.revenue))} labels={d.channels.map((x) => x.channel)} />
      </Card>
      <Rows
        title={t("reports.top")}
        headers={[t("reports.product"), t("reports.quantity"), t("reports.revenue")]}
        rows={d.top_products.map((p) => [p.name, f.number(p.quantity, 0), money(p.revenue)])}
      />
      <Rows
        title={t("reports.atRisk")}
        headers={[t("reports.customer"), t("reports.churn"), t("reports.valueAtRisk")]}
        rows={d.at_risk_customers.map((c) => [c.customer, f.percent(c.churn_risk), money(c.value_at_risk)])}
      />
      <Rows
        title={t("reports.stockouts")}
        headers={[t("reports.product"), t("reports.onHand"), t("reports.orderBy")]}
        rows={d.stockouts.map((s) => [s.name ?? s.code, s.on_hand ?? "–", f.date(s.order_by)])}
      />
    </Stack>
  );
}

export function ReportsPage() {
  const t = useReportsT();
  const f = useFormat();
  const shop = useCurrentShop();
  const canManage = useCanManage(shop);
  const { locale } = useLocale();
  const list = useReports(shop.id);
  const generate = useGenerateReport(shop.id);
  const [chosen, setChosen] = useState<number | null>(null);
  const selected = chosen ?? list.data?.[0]?.id ?? null;
  const report = useReport(shop.id, selected, locale);

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t("reports.title")}</Title>
        {canManage && (
          <Button loading={generate.isPending} onClick={() => generate.mutate()}>
            {t("reports.generate")}
          </Button>
        )}
      </Group>
      {generate.isSuccess && <Alert color="green">{t("reports.generating")}</Alert>}
      {generate.error && <Alert color="red">{errorMessage(generate.error)}</Alert>}
      <QueryState query={list} isEmpty={list.data?.length === 0} empty={t("reports.empty")}>
        {
          <Select
            label={t("reports.week")}
            value={selected === null ? null : String(selected)}
            onChange={(v) => setChosen(v ? Number(v) : null)}
            data={(list.data ?? []).map((r) => ({
              value: String(r.id),
              label: `${f.date(r.period_start)} · ${f.money(r.revenue, r.currency)}`,
            }))}
            allowDeselect={false}
          />
        }
      </QueryState>
      {report.data && <ReportView shopId={shop.id} report={report.data} lang={locale} />}
    </Stack>
  );
}
