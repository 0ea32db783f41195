/** One variant's daily sales and its forecast with the 80 % interval (Mantine charts). Sold-out
 * days are drawn apart: their sales are a floor, not the demand. */

import "@mantine/charts/styles.css";

import { CompositeChart } from "@mantine/charts";
import { SimpleGrid, Stack, Text } from "@mantine/core";
import { Area } from "recharts";

import type { VariantForecast } from "../../api/inventory";
import { INTL_LOCALE } from "../../i18n/format";
import { useFormat, useLocale } from "../../i18n/locale";
import { useInventoryT } from "./messages";

export type ChartRow = {
  day: string;
  sales: number | null;
  censored: number | null;
  mean: number | null;
  interval: [number, number] | null;
};

/** History then forecast, one row per day, in the shape the chart's series read. */
export function chartRows(data: VariantForecast): ChartRow[] {
  const past: ChartRow[] = data.history.map((h) => ({
    day: h.day,
    sales: h.censored ? null : h.sales,
    censored: h.censored ? h.sales : null,
    mean: null,
    interval: null,
  }));
  const future: ChartRow[] = data.forecast.map((p) => ({
    day: p.day,
    sales: null,
    censored: null,
    mean: p.mean,
    interval: [p.lo, p.hi],
  }));
  return [...past, ...future];
}

export function ForecastChart({ data }: { data: VariantForecast }) {
  const t = useInventoryT();
  const f = useFormat();
  const { locale } = useLocale();
  const dayLabel = new Intl.DateTimeFormat(INTL_LOCALE[locale], { day: "numeric", month: "numeric" });
  const rows = chartRows(data);
  return (
    <Stack gap="xs" data-testid="forecast-chart" data-points={rows.length} role="img" aria-label={t("chartLabel")}>
      <CompositeChart
        h={320}
        data={rows}
        dataKey="day"
        withLegend
        withDots={false}
        connectNulls={false}
        maxBarWidth={6}
        valueFormatter={(value) => f.number(value, 1)}
        xAxisProps={{ tickFormatter: (day: string) => dayLabel.format(new Date(`${day}T12:00:00`)), minTickGap: 24 }}
        series={[
          { name: "sales", label: t("sales"), color: "gray.5", type: "bar" },
          { name: "censored", label: t("censoredSales"), color: "orange.5", type: "bar" },
          { name: "mean", label: t("forecast"), color: "blue.7", type: "line" },
        ]}
      >
        <Area
          dataKey="interval"
          name={t("interval")}
          stroke="none"
          fill="var(--mantine-color-blue-3)"
          fillOpacity={0.4}
          isAnimationActive={false}
        />
      </CompositeChart>
      <Text size="xs" c="dimmed">
        {t("bandNote")}
      </Text>
    </Stack>
  );
}

export function VariantFacts({ data }: { data: VariantForecast }) {
  const t = useInventoryT();
  const f = useFormat();
  const m = data.metrics;
  const facts: [string, string][] = [
    [t("pattern"), m.pattern ? t(`pattern.${m.pattern}` as "pattern.smooth") : "–"],
    [t("model"), m.model],
    [t("mase"), f.number(m.mase, 2)],
    [t("naiveMase"), f.number(m.naive_mase, 2)],
    [t("meanDemand"), f.number(m.mean_demand, 1)],
    [t("safetyStock"), f.number(m.safety_stock, 0)],
    [t("reorderPoint"), f.number(m.reorder_point, 0)],
    [t("eoq"), f.number(m.eoq, 0)],
    [t("onHand"), f.number(m.on_hand, 0)],
    [t("orderBy"), f.date(m.order_by)],
    [t("censored"), `${f.number(m.n_censored)} / ${f.number(m.n_observed + m.n_censored)}`],
  ];
  return (
    <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="xs" data-testid="variant-facts">
      {facts.map(([label, value]) => (
        <Stack key={label} gap={0}>
          <Text size="xs" c="dimmed">
            {label}
          </Text>
          <Text size="sm">{value}</Text>
        </Stack>
      ))}
    </SimpleGrid>
  );
}
