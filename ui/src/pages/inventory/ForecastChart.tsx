/** One variant's daily sales and its forecast with the 80 % interval, drawn with recharts'
 * ComposedChart directly (one y axis shared by every series: Mantine's CompositeChart names its
 * axis, and a raw <Area> without that id threw recharts' "Invariant failed", blanking the app).
 * Sold-out days are drawn apart (their sales are a floor, not the demand); dashed lines mark
 * the last day of history and the day the stock runs out if nothing arrives. */

import { SimpleGrid, Stack, Text } from "@mantine/core";
import {
  Area,
  Bar,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

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

const COLORS = {
  sales: "var(--mantine-color-gray-5)",
  censored: "var(--mantine-color-orange-5)",
  mean: "var(--mantine-color-blue-7)",
  band: "var(--mantine-color-blue-3)",
  stockout: "var(--mantine-color-red-7)",
  today: "var(--mantine-color-gray-6)",
};

export function ForecastChart({ data, height = 320 }: { data: VariantForecast; height?: number }) {
  const t = useInventoryT();
  const f = useFormat();
  const { locale } = useLocale();
  const dayLabel = new Intl.DateTimeFormat(INTL_LOCALE[locale], { day: "numeric", month: "numeric" });
  const label = (day: string) => dayLabel.format(new Date(`${day}T12:00:00`));
  const rows = chartRows(data);
  const stockout = data.stockout_day ?? null;
  return (
    <Stack
      gap="xs"
      data-testid="forecast-chart"
      data-points={rows.length}
      data-history={data.history.length}
      data-forecast={data.forecast.length}
      data-stockout={stockout ?? ""}
      role="img"
      aria-label={t("chartLabel")}
    >
      <div style={{ width: "100%", height }}>
        <ResponsiveContainer width="100%" height="100%">
          <ComposedChart data={rows} margin={{ top: 16, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="day" tickFormatter={label} minTickGap={24} />
            <YAxis allowDecimals={false} width={48} tickFormatter={(value: number) => f.number(value)} />
            <Tooltip
              labelFormatter={(day) => f.date(String(day))}
              formatter={(value: unknown) =>
                Array.isArray(value) ? `${f.number(value[0], 1)} – ${f.number(value[1], 1)}` : f.number(Number(value), 1)
              }
            />
            <Legend />
            <Area
              dataKey="interval"
              name={t("interval")}
              stroke="none"
              fill={COLORS.band}
              fillOpacity={0.4}
              isAnimationActive={false}
            />
            <Bar dataKey="sales" name={t("sales")} fill={COLORS.sales} maxBarSize={6} isAnimationActive={false} />
            <Bar
              dataKey="censored"
              name={t("censoredSales")}
              fill={COLORS.censored}
              maxBarSize={6}
              isAnimationActive={false}
            />
            <Line
              dataKey="mean"
              name={t("forecast")}
              stroke={COLORS.mean}
              strokeWidth={2}
              dot={false}
              connectNulls={false}
              isAnimationActive={false}
            />
            <ReferenceLine x={data.as_of} stroke={COLORS.today} strokeDasharray="4 4" label={t("lastDay")} />
            {stockout && (
              <ReferenceLine
                x={stockout}
                stroke={COLORS.stockout}
                strokeDasharray="6 3"
                label={{ value: t("stockoutMark"), fill: COLORS.stockout, position: "top" }}
              />
            )}
          </ComposedChart>
        </ResponsiveContainer>
      </div>
      <Text size="xs" c="dimmed">
        {t("bandNote")}
      </Text>
      <Text size="sm" c={stockout ? "red" : "dimmed"} data-testid="stockout-note">
        {stockout ? t("stockoutOn", { day: f.date(stockout) }) : t("stockoutNone")}
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
