/** One snapshot run: live progress (polled every 2 s while it moves), its numbers, error and rejects. */

import { Alert, Anchor, Code, Group, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";
import { Link, useParams } from "react-router-dom";

import { useSnapshotRejects, useSnapshotRun } from "../../api/snapshots";
import type { SnapshotRun } from "../../api/types";
import { NotFound } from "../../components/NotFound";
import { LoadMore } from "../../components/LoadMore";
import { QueryState } from "../../components/QueryState";
import { RunProgress } from "../../components/RunProgress";
import { useCurrentShop } from "../../components/ShopScope";
import { RunStatusBadge } from "../../components/StatusBadge";
import { useFormat, useT } from "../../i18n/locale";
import { RetryButton, TemporalLink } from "./RetryButton";

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm">{children}</Text>
    </div>
  );
}

function Rejects({ run }: { run: SnapshotRun }) {
  const t = useT();
  const rejects = useSnapshotRejects(run.id);
  return (
    <Stack gap="xs">
      <Title order={4}>{t("runs.rejects")}</Title>
      <QueryState query={rejects} isEmpty={rejects.items.length === 0} empty={t("runs.rejectsEmpty")}>
        <Table striped verticalSpacing="xs" data-testid="rejects">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={80}>{t("runs.lineNo")}</Table.Th>
              <Table.Th>{t("runs.reason")}</Table.Th>
              <Table.Th>{t("runs.raw")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rejects.items.map((reject) => (
              <Table.Tr key={reject.line_no}>
                <Table.Td>{reject.line_no}</Table.Td>
                <Table.Td>{reject.reason}</Table.Td>
                <Table.Td>
                  <Code block style={{ whiteSpace: "pre-wrap", wordBreak: "break-all", maxHeight: 160, overflow: "auto" }}>
                    {reject.raw}
                  </Code>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <LoadMore {...rejects} />
      </QueryState>
    </Stack>
  );
}

function RunDetail({ run }: { run: SnapshotRun }) {
  const t = useT();
  const f = useFormat();
  return (
    <Stack data-testid="run-detail" data-run-id={run.id}>
      <Group justify="space-between">
        <Group>
          <Title order={2}>{t("runs.detailTitle", { id: run.id })}</Title>
          <RunStatusBadge status={run.status} />
        </Group>
        <Group gap="xs">
          <RetryButton run={run} size="sm" />
          <TemporalLink run={run} size="sm" />
        </Group>
      </Group>
      <RunProgress run={run} />
      {run.error && (
        <Alert color="red" title={t("runs.error")} data-testid="run-error">
          {run.error}
        </Alert>
      )}
      <SimpleGrid cols={{ base: 2, md: 4 }}>
        <Fact label={t("runs.resource")}>{t(`resource.${run.resource}`)}</Fact>
        <Fact label={t("runs.phase")}>{t(`phase.${run.phase}`)}</Fact>
        <Fact label={t("runs.trigger")}>{run.trigger}</Fact>
        <Fact label={t("runs.attempt")}>
          {run.attempt}
          {run.retry_of && (
            <>
              {" · "}
              <Anchor component={Link} to={`/shops/${run.shop_id}/snapshot-runs/${run.retry_of}`}>
                {t("runs.retryOf", { id: run.retry_of })}
              </Anchor>
            </>
          )}
        </Fact>
        <Fact label={t("runs.upserted")}>{f.number(run.rows_upserted)}</Fact>
        <Fact label={t("runs.rejected")}>{f.number(run.rejected_lines)}</Fact>
        <Fact label={t("runs.requested")}>{f.dateTime(run.requested_at)}</Fact>
        <Fact label={t("runs.finished")}>{f.dateTime(run.finished_at)}</Fact>
      </SimpleGrid>
      <Text size="xs" c="dimmed">
        {run.workflow_id}
        {run.job_id ? ` · job ${run.job_id}` : ""}
      </Text>
      {(run.rejected_lines > 0 || run.status === "completed_with_rejects") && <Rejects run={run} />}
    </Stack>
  );
}

export function SnapshotRunPage() {
  const t = useT();
  const shop = useCurrentShop();
  const { runId } = useParams();
  const id = Number(runId);
  const run = useSnapshotRun(id);
  if (!Number.isInteger(id) || id <= 0) return <NotFound />;
  // A run of another shop is not shown under this shop's URL.
  if (run.data && run.data.shop_id !== shop.id) return <NotFound />;
  return (
    <Stack>
      <Anchor component={Link} to={`/shops/${shop.id}/snapshot-runs`} size="sm">
        ← {t("runs.back")}
      </Anchor>
      <QueryState query={run}>{run.data && <RunDetail run={run.data} />}</QueryState>
    </Stack>
  );
}
