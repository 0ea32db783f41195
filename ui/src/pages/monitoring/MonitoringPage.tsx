/** Admin → Monitoring: every check with its state, then each part's detail; refreshes every 30 s. */

import { Alert, Card, Group, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";

import { type CheckResult, type MonitoringReport, useMonitoring } from "../../api/monitoring";
import { QueryState } from "../../components/QueryState";
import { useFormat, useLocale } from "../../i18n/locale";
import { ChecksTable, checkLabel } from "./ChecksTable";
import { AllUsagePanel } from "../usage/UsagePanel";
import { type MonitoringKey, useMonitoringT } from "./messages";
import { CachesSection, DatabaseSection, ErrorsSection, PerformanceSection, QueuesSection, WorkflowsSection } from "./Sections";
import { StateBadge } from "./StateBadge";

const PARTS: { part: string; title: MonitoringKey }[] = [
  { part: "queues", title: "queues" },
  { part: "workflows", title: "workflows" },
  { part: "database", title: "database" },
  { part: "errors", title: "errors" },
  { part: "performance", title: "performance" },
  { part: "cache", title: "caches" },
  { part: "monitoring", title: "alerts" },
];

function Part({ title, checks, problem, children }: { title: string; checks: CheckResult[]; problem?: string; children?: ReactNode }) {
  const t = useMonitoringT();
  return (
    <Card withBorder data-testid="monitoring-part">
      <Stack>
        <Title order={3}>{title}</Title>
        {problem && (
          <Alert color="gray" data-testid="part-problem">
            {t("partDown", { part: title, problem })}
          </Alert>
        )}
        {checks.length > 0 && <ChecksTable checks={checks} />}
        {children}
      </Stack>
    </Card>
  );
}

function details(part: string, parts: MonitoringReport["parts"]): ReactNode {
  switch (part) {
    case "queues":
      return parts.queues && <QueuesSection part={parts.queues} />;
    case "workflows":
      return parts.workflows && <WorkflowsSection part={parts.workflows} />;
    case "database":
      return parts.database && <DatabaseSection part={parts.database} />;
    case "errors":
      return parts.errors && <ErrorsSection part={parts.errors} />;
    case "performance":
      return parts.performance && <PerformanceSection part={parts.performance} />;
    case "cache":
      return parts.cache && <CachesSection part={parts.cache} />;
    default:
      return null;
  }
}

function Alerts({ report }: { report: MonitoringReport }) {
  const t = useMonitoringT();
  const f = useFormat();
  const { locale } = useLocale();
  const alerts = report.parts.monitoring?.alerts ?? [];
  const checks = new Map(report.checks.map((c) => [c.name, c]));
  // the stored summary is the English text of when the alert opened; Czech names the check instead
  const what = (a: (typeof alerts)[number]) =>
    locale === "cs" ? checkLabel(checks.get(a.check_name), locale) || a.check_name : `${a.check_name}: ${a.summary}`;
  return (
    <Stack gap="xs">
      {alerts.map((a) => (
        <Text key={a.id} size="sm" c={a.resolved_at ? "dimmed" : "red"} data-testid="alert">
          {what(a)} ·{" "}
          {a.resolved_at ? t("resolvedAt", { when: f.dateTime(a.resolved_at) }) : t("openSince", { when: f.dateTime(a.opened_at) })}
        </Text>
      ))}
    </Stack>
  );
}

export function MonitoringPage() {
  const t = useMonitoringT();
  const f = useFormat();
  const report = useMonitoring();
  const data = report.data;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t("title")}</Title>
        {data && (
          <Group gap="xs">
            <Text size="sm" c="dimmed">
              {t("refreshed", { when: f.dateTime(data.generated_at) })}
            </Text>
            <Text size="sm">{t("overall")}</Text>
            <StateBadge state={data.state} />
          </Group>
        )}
      </Group>
      <QueryState query={report}>
        {data &&
          PARTS.map(({ part, title }) => (
            <Part key={part} title={t(title)} checks={data.checks.filter((c) => c.part === part)} problem={data.problems[part]}>
              {part === "monitoring" ? <Alerts report={data} /> : details(part, data.parts)}
            </Part>
          ))}
      </QueryState>
      <AllUsagePanel />
    </Stack>
  );
}
