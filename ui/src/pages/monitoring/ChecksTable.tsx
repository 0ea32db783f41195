/** Every check of one part: its state, figure, thresholds and summary, worst first. */

import { Table, Text } from "@mantine/core";

import type { CheckResult } from "../../api/monitoring";
import type { Locale } from "../../api/types";
import { useFormat, useLocale } from "../../i18n/locale";
import { useMonitoringT } from "./messages";
import { StateBadge } from "./StateBadge";

const ORDER = { critical: 0, warn: 1, unavailable: 2, ok: 3 };

const UNITS_CS: Record<string, string> = {
  rows: "řádků", ratio: "poměr", connections: "spojení", findings: "nálezů", days: "dní", failures: "selhání",
  runs: "běhů", schedules: "plánů", errors: "chyb", xids: "xid",
};

/** What a check measures, in the page's language. */
export function checkLabel(check: CheckResult | undefined, locale: Locale): string {
  if (!check) return "";
  return locale === "cs" && check.description_cs ? check.description_cs : check.description;
}

function summaryOf(check: CheckResult, locale: Locale): string {
  return locale === "cs" && check.summary_cs ? check.summary_cs : check.summary;
}

export function ChecksTable({ checks }: { checks: CheckResult[] }) {
  const t = useMonitoringT();
  const f = useFormat();
  const { locale } = useLocale();
  const sorted = [...checks].sort((a, b) => ORDER[a.state] - ORDER[b.state] || a.name.localeCompare(b.name));
  const unitOf = (unit: string) => (locale === "cs" ? (UNITS_CS[unit] ?? unit) : unit);
  const figure = (value: number | null, unit: string) => (value === null ? "–" : `${f.number(value, 2)} ${unitOf(unit)}`);
  return (
    <Table striped withTableBorder>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t("check")}</Table.Th>
          <Table.Th>{t("state")}</Table.Th>
          <Table.Th>{t("value")}</Table.Th>
          <Table.Th>{t("thresholds")}</Table.Th>
          <Table.Th>{t("summary")}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {sorted.map((check) => (
          <Table.Tr key={check.name} data-testid="check" data-check={check.name}>
            <Table.Td>
              <Text size="sm" fw={500}>
                {checkLabel(check, locale)}
              </Text>
              <Text size="xs" c="dimmed" ff="monospace" data-raw>
                {check.name}
              </Text>
            </Table.Td>
            <Table.Td miw={110}>
              <StateBadge state={check.state} />
            </Table.Td>
            <Table.Td>{figure(check.value, check.unit)}</Table.Td>
            <Table.Td>
              {check.warn === null ? "–" : f.number(check.warn, 3)} / {check.critical === null ? "–" : f.number(check.critical, 3)}
            </Table.Td>
            <Table.Td>
              <Text size="sm">{summaryOf(check, locale)}</Text>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
