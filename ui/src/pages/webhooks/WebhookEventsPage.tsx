/** Webhooks a shop received, filtered by how they were handled, each with its raw body. */

import { Accordion, Chip, Code, Group, Stack, Text, Title } from "@mantine/core";
import { useSearchParams } from "react-router-dom";

import { WEBHOOK_STATUSES, type WebhookEvent } from "../../api/types";
import { useWebhookEvents } from "../../api/webhooks";
import { LoadMore } from "../../components/LoadMore";
import { QueryState } from "../../components/QueryState";
import { useCurrentShop } from "../../components/ShopScope";
import { WebhookStatusBadge } from "../../components/StatusBadge";
import { useFormat, useT } from "../../i18n/locale";

/** JSON bodies are indented for reading; anything else is shown exactly as received. */
export function prettyBody(raw: string): string {
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return raw;
  }
}

function EventItem({ event }: { event: WebhookEvent }) {
  const t = useT();
  const f = useFormat();
  return (
    <Accordion.Item value={String(event.id)} data-testid="webhook-event">
      <Accordion.Control>
        <Group justify="space-between" wrap="nowrap" pr="sm">
          <Group gap="sm" wrap="nowrap">
            <WebhookStatusBadge status={event.status} />
            <Text fw={500}>{event.event ?? "?"}</Text>
            <Text size="sm" c="dimmed">
              {event.event_instance}
            </Text>
          </Group>
          <Text size="sm" c="dimmed">
            {f.dateTime(event.received_at)}
          </Text>
        </Group>
      </Accordion.Control>
      <Accordion.Panel>
        <Stack gap="xs">
          {event.reason && (
            <Text size="sm">
              <b>{t("webhooks.reason")}:</b> {event.reason}
            </Text>
          )}
          <Text size="xs" c="dimmed">
            {t("webhooks.rawBody")}
          </Text>
          <Code block data-testid="raw-body" style={{ whiteSpace: "pre-wrap", wordBreak: "break-all" }}>
            {prettyBody(event.raw_body)}
          </Code>
        </Stack>
      </Accordion.Panel>
    </Accordion.Item>
  );
}

export function WebhookEventsPage() {
  const t = useT();
  const shop = useCurrentShop();
  const [params, setParams] = useSearchParams();
  const status = WEBHOOK_STATUSES.find((s) => s === params.get("status"));
  const events = useWebhookEvents(shop.id, status);

  return (
    <Stack>
      <Title order={2}>{t("webhooks.title")}</Title>
      <Chip.Group
        multiple={false}
        value={status ?? "all"}
        onChange={(value) => setParams(value === "all" ? {} : { status: value }, { replace: true })}
      >
        <Group gap="xs">
          <Chip value="all" size="sm">
            {t("webhooks.all")}
          </Chip>
          {WEBHOOK_STATUSES.map((s) => (
            <Chip key={s} value={s} size="sm">
              {t(`webhook.${s}`)}
            </Chip>
          ))}
        </Group>
      </Chip.Group>
      <QueryState query={events} isEmpty={events.items.length === 0} empty={t("webhooks.empty")}>
        <Accordion variant="separated" multiple>
          {events.items.map((event) => (
            <EventItem key={event.id} event={event} />
          ))}
        </Accordion>
        <LoadMore {...events} />
      </QueryState>
    </Stack>
  );
}
