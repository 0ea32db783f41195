/** Admin: the audit log, newest first, filtered by action, paged by cursor. */

import { Badge, Code, Group, Select, Stack, Table, Text, Title } from "@mantine/core";
import { useState } from "react";

import { useAuditEvents } from "../../api/security";
import { LoadMore } from "../../components/LoadMore";
import { QueryState } from "../../components/QueryState";
import { useFormat } from "../../i18n/locale";
import { useSecurityT } from "./messages";

export const AUDIT_ACTIONS = [
  "signin.success",
  "signin.failure",
  "signin.locked",
  "token.create",
  "token.revoke",
  "password.change",
  "admin.request",
] as const;

export function AuditLogPage() {
  const t = useSecurityT();
  const f = useFormat();
  const [action, setAction] = useState<string | null>(null);
  const events = useAuditEvents({ action: action ?? undefined });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t("audit.title")}</Title>
        <Select
          aria-label={t("audit.action")}
          placeholder={t("audit.allActions")}
          value={action}
          onChange={setAction}
          data={[...AUDIT_ACTIONS]}
          clearable
          w={220}
        />
      </Group>
      <Text size="sm" c="dimmed">
        {t("audit.intro")}
      </Text>
      <QueryState query={events} isEmpty={events.items.length === 0} empty={t("audit.empty")}>
        <Table striped data-testid="audit-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("audit.at")}</Table.Th>
              <Table.Th>{t("audit.action")}</Table.Th>
              <Table.Th>{t("audit.outcome")}</Table.Th>
              <Table.Th>{t("audit.who")}</Table.Th>
              <Table.Th>{t("audit.ip")}</Table.Th>
              <Table.Th>{t("audit.detail")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {events.items.map((event) => (
              <Table.Tr key={event.id} data-testid="audit-row">
                <Table.Td>{f.dateTime(event.at)}</Table.Td>
                <Table.Td>{event.action}</Table.Td>
                <Table.Td>
                  <Badge color={event.success ? "green" : "red"} variant="light">
                    {event.success ? t("audit.ok") : t("audit.failed")}
                  </Badge>
                </Table.Td>
                <Table.Td>{event.actor_email ?? (event.user_id === null ? "–" : `#${event.user_id}`)}</Table.Td>
                <Table.Td>{event.ip ?? "–"}</Table.Td>
                <Table.Td>
                  {Object.keys(event.detail).length > 0 && <Code>{JSON.stringify(event.detail)}</Code>}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <LoadMore {...events} />
      </QueryState>
    </Stack>
  );
}
