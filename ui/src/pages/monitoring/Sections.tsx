/** The parts of the monitoring page: queues, workflows, database, errors, performance, caches. */

import { Anchor, Badge, Button, Group, Stack, Table, Text } from "@mantine/core";

import { errorMessage } from "../../api/client";
import { type LatencySeries, type MonitoringReport, useRetryRun, useScheduleAction } from "../../api/monitoring";
import { useFormat, useLocale } from "../../i18n/locale";
import { Lines, StackedBars } from "./Charts";
import { useMonitoringT } from "./messages";

type Parts = MonitoringReport["parts"];

const hourLabel = (row: Record<string, number | string>) => String(row.hour ?? row.minute).slice(11, 16);

export function QueuesSection({ part }: { part: NonNullable<Parts["queues"]> }) {
  const t = useMonitoringT();
  const f = useFormat();
  return (
    <Table withTableBorder data-testid="queues">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t("queue")}</Table.Th>
          <Table.Th>{t("backlog")}</Table.Th>
          <Table.Th>{t("pollers")}</Table.Th>
          <Table.Th>{t("avgRun")}</Table.Th>
          <Table.Th>{t("wait")}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {part.queues.map((q) => (
          <Table.Tr key={q.queue} data-testid="queue-row">
            <Table.Td data-raw>{q.queue}</Table.Td>
            <Table.Td>
              {q.workflow_backlog} / {q.activity_backlog}
            </Table.Td>
            <Table.Td>
              {q.workflow_pollers} / {q.activity_pollers}
            </Table.Td>
            <Table.Td>{f.number(q.avg_activity_s, 2)} s</Table.Td>
            <Table.Td>{q.no_workers ? <Badge color="red">{t("noWorkers")}</Badge> : `${f.number(q.wait_s ?? 0, 1)} s`}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function RetryButton({ run }: { run: { workflow_id: string; run_id: string } }) {
  const t = useMonitoringT();
  const retry = useRetryRun();
  return (
    <Stack gap={2}>
      <Button size="xs" variant="light" loading={retry.isPending} disabled={retry.isSuccess} onClick={() => retry.mutate(run)}>
        {t("retry")}
      </Button>
      {retry.data && <Text size="xs">{t("retried", { run: retry.data.run_id.slice(0, 8) })}</Text>}
      {retry.error && (
        <Text size="xs" c="red">
          {errorMessage(retry.error)}
        </Text>
      )}
    </Stack>
  );
}

function ScheduleButtons({ id, paused }: { id: string; paused: boolean }) {
  const t = useMonitoringT();
  const action = useScheduleAction();
  return (
    <Stack gap={2}>
      <Group gap="xs">
        <Button size="xs" variant="light" loading={action.isPending} onClick={() => action.mutate({ id, action: paused ? "unpause" : "pause" })}>
          {paused ? t("resume") : t("pause")}
        </Button>
        <Button size="xs" variant="subtle" onClick={() => action.mutate({ id, action: "trigger" })}>
          {t("trigger")}
        </Button>
      </Group>
      {action.error && (
        <Text size="xs" c="red">
          {errorMessage(action.error)}
        </Text>
      )}
    </Stack>
  );
}

export function WorkflowsSection({ part }: { part: NonNullable<Parts["workflows"]> }) {
  const t = useMonitoringT();
  const f = useFormat();
  return (
    <Stack>
      <Text size="sm">
        {t("lastHour", { started: part.last_hour.started, completed: part.last_hour.completed, failed: part.last_hour.failed })}
        {part.last_hour.truncated ? " …" : ""}
      </Text>
      <StackedBars
        title={t("perMinute")}
        data={part.timeline}
        labelOf={hourLabel}
        series={[
          { key: "started", label: t("legend.started"), color: "#228be6" },
          { key: "completed", label: t("legend.completed"), color: "#40c057" },
          { key: "failed", label: t("legend.failed"), color: "#fa5252" },
        ]}
      />
      <StackedBars title={t("failuresByHour")} data={part.failures_by_hour} labelOf={hourLabel} series={[{ key: "failed", label: t("legend.failed"), color: "#fa5252" }]} />
      <Text fw={500}>{t("failedRuns")}</Text>
      {part.failed_runs.length === 0 ? (
        <Text c="dimmed" size="sm">
          {t("noFailures")}
        </Text>
      ) : (
        <Table withTableBorder data-testid="failed-runs">
          <Table.Tbody>
            {part.failed_runs.map((run) => (
              <Table.Tr key={run.run_id} data-testid="failed-run">
                <Table.Td>
                  <Anchor href={run.temporal_url} target="_blank" size="sm">
                    {run.workflow_id}
                  </Anchor>
                  <Text size="xs" c="dimmed" data-raw>
                    {run.workflow_type} · {run.status} · {f.dateTime(run.closed_at)}
                  </Text>
                </Table.Td>
                <Table.Td>
                  {/* the failure's own text, as Temporal recorded it */}
                  <Text size="sm" data-raw>
                    {run.reason}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <RetryButton run={run} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Text fw={500}>{t("runTimes")}</Text>
      <Table withTableBorder>
        <Table.Tbody>
          {part.run_times.map((r) => (
            <Table.Tr key={r.workflow_type}>
              <Table.Td data-raw>{r.workflow_type}</Table.Td>
              <Table.Td>{r.runs}</Table.Td>
              <Table.Td>p50 {f.number(r.p50_s, 2)} s</Table.Td>
              <Table.Td>p95 {f.number(r.p95_s, 2)} s</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Text fw={500}>{t("schedules")}</Text>
      <Table withTableBorder data-testid="schedules">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("schedules")}</Table.Th>
            <Table.Th>{t("lastRun")}</Table.Th>
            <Table.Th>{t("nextRun")}</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {part.schedules.map((s) => (
            <Table.Tr key={s.id} data-testid="schedule" data-schedule={s.id}>
              <Table.Td>
                <Text size="sm" data-raw>
                  {s.id}
                </Text>
                {s.paused && <Badge color="yellow">{t("paused")}</Badge>}
              </Table.Td>
              <Table.Td>{f.dateTime(s.last_run_at)}</Table.Td>
              <Table.Td>{f.dateTime(s.next_run_at)}</Table.Td>
              <Table.Td>
                <ScheduleButtons id={s.id} paused={s.paused} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

export function DatabaseSection({ part }: { part: NonNullable<Parts["database"]> }) {
  const t = useMonitoringT();
  const f = useFormat();
  const { locale } = useLocale();
  const topTables = part.sizes.filter((s) => !s.parent).slice(0, 15);
  return (
    <Stack>
      <Text fw={500}>{t("tables")}</Text>
      <Table withTableBorder>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("tables")}</Table.Th>
            <Table.Th>{t("size")}</Table.Th>
            <Table.Th>{t("rows")}</Table.Th>
            <Table.Th>{t("growth")}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {topTables.map((s) => (
            <Table.Tr key={s.table}>
              <Table.Td data-raw>{s.table}</Table.Td>
              <Table.Td>{s.size}</Table.Td>
              <Table.Td>{f.number(s.rows)}</Table.Td>
              <Table.Td>{s.growth_bytes_per_day === null ? "–" : `${f.number(s.growth_bytes_per_day / 1e6, 1)} MB`}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Text fw={500}>{t("statements")}</Text>
      {part.statements.problem && (
        <Text size="sm" c="dimmed">
          {(locale === "cs" && part.statements.problem_cs) || part.statements.problem}
        </Text>
      )}
      <Table withTableBorder>
        <Table.Tbody>
          {part.statements.top.slice(0, 10).map((s) => (
            <Table.Tr key={s.queryid}>
              <Table.Td>
                <Text size="xs" ff="monospace" lineClamp={2} data-raw>
                  {s.query}
                </Text>
              </Table.Td>
              <Table.Td>
                {t("calls")} {f.number(s.calls)}
              </Table.Td>
              <Table.Td>
                {t("mean")} {f.number(s.mean_ms, 1)} ms
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

export function ErrorsSection({ part }: { part: NonNullable<Parts["errors"]> }) {
  const t = useMonitoringT();
  const f = useFormat();
  return (
    <Stack>
      <StackedBars title={t("errorsByHour")} data={part.timeline} labelOf={hourLabel} series={[{ key: "errors", label: t("errors"), color: "#fa5252" }]} />
      {part.groups.length === 0 ? (
        <Text c="dimmed" size="sm">
          {t("noErrors")}
        </Text>
      ) : (
        <Table withTableBorder data-testid="error-groups">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("errors")}</Table.Th>
              <Table.Th>{t("count24h")}</Table.Th>
              <Table.Th>{t("total")}</Table.Th>
              <Table.Th>{t("lastSeen")}</Table.Th>
              <Table.Th>{t("trace")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {part.groups.map((g) => (
              <Table.Tr key={g.fingerprint} data-testid="error-group">
                <Table.Td>
                  <Text size="sm" fw={500} data-raw>
                    {g.error_type}
                  </Text>
                  <Text size="xs" data-raw>
                    {g.message}
                  </Text>
                  <Text size="xs" c="dimmed" data-raw>
                    {g.source} · {g.frames.join(" ← ")}
                  </Text>
                </Table.Td>
                <Table.Td>{f.number(g.last_24h)}</Table.Td>
                <Table.Td>{f.number(g.total)}</Table.Td>
                <Table.Td>{f.dateTime(g.last_seen)}</Table.Td>
                <Table.Td>
                  <Text size="xs" ff="monospace">
                    {g.last_trace_id ?? "–"}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

function LatencyTable({ title, rows }: { title: string; rows: LatencySeries[] }) {
  const f = useFormat();
  return (
    <Stack gap={4}>
      <Text fw={500}>{title}</Text>
      <Table withTableBorder>
        <Table.Thead>
          <Table.Tr>
            <Table.Th />
            <Table.Th>n</Table.Th>
            <Table.Th>p50</Table.Th>
            <Table.Th>p95</Table.Th>
            <Table.Th>p99</Table.Th>
            <Table.Th>Σ ms</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.slice(0, 12).map((r) => (
            <Table.Tr key={r.name} data-testid="latency-row">
              <Table.Td>
                <Text size="xs" ff="monospace" data-raw>
                  {r.name}
                </Text>
              </Table.Td>
              <Table.Td>{f.number(r.count)}</Table.Td>
              <Table.Td>{f.number(r.p50_ms, 1)}</Table.Td>
              <Table.Td>{f.number(r.p95_ms, 1)}</Table.Td>
              <Table.Td>{f.number(r.p99_ms, 1)}</Table.Td>
              <Table.Td>{f.number(r.total_ms)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

export function PerformanceSection({ part }: { part: NonNullable<Parts["performance"]> }) {
  const t = useMonitoringT();
  return (
    <Stack>
      <Lines
        title={t("latency")}
        data={part.timeline}
        series={[
          { key: "p50_ms", label: "p50", color: "#228be6" },
          { key: "p95_ms", label: "p95", color: "#fd7e14" },
        ]}
      />
      <LatencyTable title={t("routes")} rows={part.routes} />
      <LatencyTable title={t("activities")} rows={part.activities} />
      <LatencyTable title={t("sql")} rows={part.sql} />
    </Stack>
  );
}

export function CachesSection({ part }: { part: NonNullable<Parts["cache"]> }) {
  const t = useMonitoringT();
  const f = useFormat();
  return (
    <Stack>
    <Table withTableBorder>
      <Table.Tbody>
        {part.caches.map((c) => (
          <Table.Tr key={c.cache}>
            <Table.Td>{c.cache}</Table.Td>
            <Table.Td>
              {t("hitRate")} {c.hit_rate === null ? "–" : `${f.number(c.hit_rate, 1)} %`}
            </Table.Td>
            <Table.Td>
              {c.levels.map((l) => `${l.level} ${l.hit_rate === null ? "–" : `${f.number(l.hit_rate, 1)} %`}`).join(" · ")}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
    {part.kinds && part.kinds.length > 0 && (
      <Table withTableBorder data-testid="cache-kinds">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("cacheKind")}</Table.Th>
            <Table.Th>{t("cacheTtl")}</Table.Th>
            <Table.Th>{t("cacheReads")}</Table.Th>
            <Table.Th>{t("hitRate")}</Table.Th>
            <Table.Th>{t("cacheOutcomes")}</Table.Th>
            <Table.Th>{t("cacheMean")}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {part.kinds.map((k) => (
            <Table.Tr key={k.kind}>
              <Table.Td>{k.kind}</Table.Td>
              <Table.Td>{`${f.number(k.ttl_s, 0)} s`}</Table.Td>
              <Table.Td>{f.number(k.reads, 0)}</Table.Td>
              <Table.Td>{`${f.number(k.hit_rate, 1)} %`}</Table.Td>
              <Table.Td>{`${k.hit} / ${k.stale} / ${k.wait} / ${k.miss}`}</Table.Td>
              <Table.Td>{`${f.number(k.mean_ms, 1)} ms`}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    )}
    </Stack>
  );
}
