/** Every check of one part: its state, figure, thresholds and summary, worst first. */

import { Table, Text } from "@mantine/core";

import type { CheckResult } from "../../api/monitoring";
import { useFormat } from "../../i18n/locale";
import { useMonitoringT } from "./messages";
import { StateBadge } from "./StateBadge";

const ORDER = { critical: 0, warn: 1, unavailable: 2, ok: 3 };

export function ChecksTable({ checks }: { checks: CheckResult[] }) {
  const t = useMonitoringT();
  const f = useFormat();
  const sorted = [...checks].sort((a, b) => ORDER[a.state] - ORDER[b.state] || a.name.localeCompare(b.name));
  const figure = (value: number | null, unit: string) => (value === null ? "–" : `${f.number(value, 2)} ${unit}`);
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
              <Text size="sm" fw={500} title={check.description}>
                {check.name}
              </Text>
            </Table.Td>
            <Table.Td miw={110}>
              <StateBadge state={check.state} />
            </Table.Td>
            <Table.Td>{figure(check.value, check.unit)}</Table.Td>
            <Table.Td>
              {check.warn ?? "–"} / {check.critical ?? "–"}
            </Table.Td>
            <Table.Td>
              <Text size="sm">{check.summary}</Text>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
