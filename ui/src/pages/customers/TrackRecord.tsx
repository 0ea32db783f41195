/** The model's track record: every run's holdout test against the naive forecast. */

import { Badge, Stack, Table, Text } from "@mantine/core";

import { useCustomerReports } from "../../api/customers";
import { LoadMore } from "../../components/LoadMore";
import { QueryState } from "../../components/QueryState";
import { useFormat } from "../../i18n/locale";
import { TrackRecordChart } from "./charts";
import { useCustomersT } from "./messages";

function StatusBadge({ status }: { status: string }) {
  const t = useCustomersT();
  const color = { completed: "green", running: "blue", not_enough_data: "yellow", failed: "red" }[status] ?? "gray";
  const key = `status.${status}` as Parameters<typeof t>[0];
  return <Badge color={color}>{t(key)}</Badge>;
}

export function TrackRecord({ shopId }: { shopId: number }) {
  const t = useCustomersT();
  const f = useFormat();
  const reports = useCustomerReports(shopId);
  return (
    <QueryState query={reports} isEmpty={reports.items.length === 0} empty={t("reportsEmpty")}>
      <Stack>
        <TrackRecordChart reports={reports.items} />
        <Table striped verticalSpacing="xs" data-testid="reports-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("runAt")}</Table.Th>
              <Table.Th>{t("status")}</Table.Th>
              <Table.Th>{t("model")}</Table.Th>
              <Table.Th ta="right">{t("customers")}</Table.Th>
              <Table.Th ta="right">{t("mae")}</Table.Th>
              <Table.Th ta="right">{t("baselineMae")}</Table.Th>
              <Table.Th>{t("beatsBaseline")}</Table.Th>
              <Table.Th ta="right">{t("auc")}</Table.Th>
              <Table.Th ta="right">{t("predictedActual")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {reports.items.map((r) => (
              <Table.Tr key={r.id}>
                <Table.Td>{f.dateTime(r.started_at)}</Table.Td>
                <Table.Td>
                  <StatusBadge status={r.status} />
                  {r.message && (
                    <Text size="xs" c="dimmed" maw={320}>
                      {r.message}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{r.chosen_model ?? "–"}</Table.Td>
                <Table.Td ta="right">{f.number(r.customers)}</Table.Td>
                <Table.Td ta="right">{f.number(r.holdout_mae, 3)}</Table.Td>
                <Table.Td ta="right">{f.number(r.baseline_mae, 3)}</Table.Td>
                <Table.Td>{r.beats_baseline === null ? "–" : r.beats_baseline ? t("yes") : t("no")}</Table.Td>
                <Table.Td ta="right">{f.number(r.auc_p_alive, 2)}</Table.Td>
                <Table.Td ta="right">
                  {f.number(r.predicted_purchases)} / {f.number(r.actual_purchases)}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <LoadMore {...reports} />
      </Stack>
    </QueryState>
  );
}
