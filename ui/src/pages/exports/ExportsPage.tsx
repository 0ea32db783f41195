/** A shop's exports: start one (any table, CSV or XLSX), watch it being written, download it
 * while it lasts. */

import { Alert, Anchor, Badge, Button, Group, Progress, Select, SegmentedControl, Stack, Table, Text, Title } from "@mantine/core";
import { useState } from "react";

import {
  EXPORT_KINDS,
  downloadUrl,
  exportPercent,
  useExports,
  useStartExport,
  type ExportFormat,
  type ExportKind,
  type ExportRow,
  type ExportStatus,
} from "../../api/exports";
import { QueryState } from "../../components/QueryState";
import { useCurrentShop } from "../../components/ShopScope";
import { useFormat, useT } from "../../i18n/locale";

const STATUS_COLOR: Record<ExportStatus, string> = {
  pending: "gray",
  running: "blue",
  done: "green",
  failed: "red",
  expired: "gray",
};

function ExportLine({ row, shopId }: { row: ExportRow; shopId: number }) {
  const t = useT();
  const f = useFormat();
  const writing = row.status === "pending" || row.status === "running";
  return (
    <Table.Tr data-testid="export-row">
      <Table.Td>{t(`exports.kind.${row.kind}`)}</Table.Td>
      <Table.Td>{row.format.toUpperCase()}</Table.Td>
      <Table.Td>
        <Badge color={STATUS_COLOR[row.status]} variant="light">
          {t(`exports.status.${row.status}`)}
        </Badge>
      </Table.Td>
      <Table.Td miw={180}>
        {writing ? (
          <Stack gap={2}>
            <Progress value={exportPercent(row)} animated aria-label={t("exports.progress")} />
            <Text size="xs" c="dimmed">
              {t("exports.rowsOf", {
                done: f.number(row.rows_done),
                total: row.rows_estimate == null ? "?" : f.number(row.rows_estimate),
              })}
            </Text>
          </Stack>
        ) : (
          <Text size="sm">{t("exports.rows", { rows: f.number(row.rows_done) })}</Text>
        )}
        {row.error && (
          <Text size="xs" c="red">
            {row.error}
          </Text>
        )}
      </Table.Td>
      <Table.Td>{f.dateTime(row.created_at)}</Table.Td>
      <Table.Td>
        {row.downloadable ? (
          <Stack gap={0}>
            <Anchor href={downloadUrl(shopId, row)} download>
              {t("exports.download")}
            </Anchor>
            <Text size="xs" c="dimmed">
              {t("exports.until", { when: f.dateTime(row.expires_at) })}
            </Text>
          </Stack>
        ) : (
          <Text size="sm" c="dimmed">
            —
          </Text>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

export function ExportsPage() {
  const t = useT();
  const shop = useCurrentShop();
  const exports = useExports(shop.id);
  const start = useStartExport(shop.id);
  const [kind, setKind] = useState<ExportKind>("orders");
  const [format, setFormat] = useState<ExportFormat>("csv");
  const rows = exports.state.data ?? [];

  return (
    <Stack>
      <Title order={2}>{t("exports.title")}</Title>
      <Text size="sm" c="dimmed">
        {t("exports.intro")}
      </Text>
      <Group align="end">
        <Select
          label={t("exports.what")}
          data={EXPORT_KINDS.map((k) => ({ value: k, label: t(`exports.kind.${k}`) }))}
          value={kind}
          onChange={(value) => value && setKind(value as ExportKind)}
          allowDeselect={false}
        />
        <SegmentedControl
          value={format}
          onChange={(value) => setFormat(value as ExportFormat)}
          data={[
            { value: "csv", label: "CSV" },
            { value: "xlsx", label: "XLSX" },
          ]}
          aria-label={t("exports.format")}
        />
        <Button loading={start.isPending} onClick={() => start.mutate({ kind, format })}>
          {t("exports.start")}
        </Button>
      </Group>
      {start.error && <Alert color="red">{start.error.message}</Alert>}
      <QueryState query={exports.state} isEmpty={rows.length === 0} empty={t("exports.empty")}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("exports.what")}</Table.Th>
              <Table.Th>{t("exports.format")}</Table.Th>
              <Table.Th>{t("exports.statusLabel")}</Table.Th>
              <Table.Th>{t("exports.progress")}</Table.Th>
              <Table.Th>{t("exports.created")}</Table.Th>
              <Table.Th>{t("exports.file")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row) => (
              <ExportLine key={row.id} row={row} shopId={shop.id} />
            ))}
          </Table.Tbody>
        </Table>
      </QueryState>
    </Stack>
  );
}
