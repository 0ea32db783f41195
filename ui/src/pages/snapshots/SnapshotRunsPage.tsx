/** A shop's snapshot runs: status chips, resource filter, live progress of running ones, retry. */

import { Anchor, Chip, Group, Stack, Table, Text, Title } from "@mantine/core";
import { Link } from "react-router-dom";

import { useSnapshotRuns } from "../../api/snapshots";
import { RUN_STATUSES, SNAPSHOT_RESOURCES, type RunStatus, type SnapshotResource } from "../../api/types";
import { FilterSelect } from "../../components/FilterSelect";
import { LoadMore } from "../../components/LoadMore";
import { QueryState } from "../../components/QueryState";
import { RunProgress } from "../../components/RunProgress";
import { useCurrentShop } from "../../components/ShopScope";
import { RunStatusBadge } from "../../components/StatusBadge";
import { useSearchUpdate } from "../../components/useSearchUpdate";
import { useFormat, useT } from "../../i18n/locale";
import { RetryButton, TemporalLink } from "./RetryButton";
import { StartSnapshotButton } from "./StartSnapshotButton";

function pick<T extends string>(value: string | null, allowed: readonly T[]): T | undefined {
  return allowed.find((item) => item === value);
}

export function SnapshotRunsPage() {
  const t = useT();
  const f = useFormat();
  const shop = useCurrentShop();
  const [params, update] = useSearchUpdate();
  const status: RunStatus | undefined = pick(params.get("status"), RUN_STATUSES);
  const resource: SnapshotResource | undefined = pick(params.get("resource"), SNAPSHOT_RESOURCES);
  const runs = useSnapshotRuns(shop.id, { status, resource });

  const setFilter = (name: string, value: string | null) => update({ [name]: value });

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t("runs.title")}</Title>
        <StartSnapshotButton shopId={shop.id} />
      </Group>
      <Group justify="space-between" align="flex-end">
        <Chip.Group multiple={false} value={status ?? "all"} onChange={(v) => setFilter("status", v === "all" ? null : v)}>
          <Group gap="xs" data-testid="status-chips">
            <Chip value="all" size="sm">
              {t("runs.allStatuses")}
            </Chip>
            {RUN_STATUSES.map((s) => (
              <Chip key={s} value={s} size="sm">
                {t(`run.${s}`)}
              </Chip>
            ))}
          </Group>
        </Chip.Group>
        <FilterSelect
          ariaLabel={t("runs.resource")}
          w={200}
          value={resource}
          allLabel={t("runs.allResources")}
          options={SNAPSHOT_RESOURCES.map((r) => ({ value: r, label: t(`resource.${r}`) }))}
          onChange={(value) => setFilter("resource", value)}
        />
      </Group>
      <QueryState query={runs} isEmpty={runs.items.length === 0} empty={t("runs.empty")}>
        <Table striped highlightOnHover verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("runs.id")}</Table.Th>
              <Table.Th>{t("runs.resource")}</Table.Th>
              <Table.Th>{t("runs.status")}</Table.Th>
              <Table.Th w={260}>{t("runs.progress")}</Table.Th>
              <Table.Th>{t("runs.requested")}</Table.Th>
              <Table.Th>{t("runs.finished")}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {runs.items.map((run) => (
              <Table.Tr key={run.id} data-testid="run-row" data-run-id={run.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/shops/${shop.id}/snapshot-runs/${run.id}`}>
                    #{run.id}
                  </Anchor>
                  {run.retry_of && (
                    <Text size="xs" c="dimmed">
                      {t("runs.retryOf", { id: run.retry_of })}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{t(`resource.${run.resource}`)}</Table.Td>
                <Table.Td>
                  <RunStatusBadge status={run.status} />
                </Table.Td>
                <Table.Td>
                  <RunProgress run={run} compact />
                </Table.Td>
                <Table.Td>{f.dateTime(run.requested_at)}</Table.Td>
                <Table.Td>{f.dateTime(run.finished_at)}</Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    <RetryButton run={run} />
                    <TemporalLink run={run} />
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <LoadMore {...runs} />
      </QueryState>
    </Stack>
  );
}
