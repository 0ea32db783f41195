/** Outbound webhooks: the shop's endpoints, their signing secret (shown once), the delivery log
 * with response codes, and a replay per delivery. */

import { Alert, Badge, Button, Code, Group, MultiSelect, Stack, Switch, Table, Text, TextInput, Title } from "@mantine/core";
import { useState } from "react";

import { ENDPOINT_EVENTS, useDeliveries, useEndpointActions, useEndpoints, type Endpoint } from "../../api/endpoints";
import { QueryState } from "../../components/QueryState";
import { useCurrentShop } from "../../components/ShopScope";
import { useFormat, useT } from "../../i18n/locale";

const DELIVERY_COLOR = { pending: "blue", delivered: "green", gave_up: "red", cancelled: "gray" } as const;

function Deliveries({ shopId, endpoint }: { shopId: number; endpoint: Endpoint }) {
  const t = useT();
  const f = useFormat();
  const deliveries = useDeliveries(shopId, endpoint.id);
  const { replay } = useEndpointActions(shopId);
  const rows = deliveries.data ?? [];
  return (
    <QueryState query={deliveries} isEmpty={rows.length === 0} empty={t("endpoints.noDeliveries")}>
      <Table>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("endpoints.event")}</Table.Th>
            <Table.Th>{t("endpoints.status")}</Table.Th>
            <Table.Th>{t("endpoints.attempts")}</Table.Th>
            <Table.Th>{t("endpoints.code")}</Table.Th>
            <Table.Th>{t("endpoints.when")}</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((d) => (
            <Table.Tr key={d.id} data-testid="delivery-row">
              <Table.Td>{d.event}</Table.Td>
              <Table.Td>
                <Badge color={DELIVERY_COLOR[d.status]} variant="light">
                  {t(`endpoints.delivery.${d.status}`)}
                </Badge>
              </Table.Td>
              <Table.Td>{d.attempts}</Table.Td>
              <Table.Td title={d.last_error ?? undefined}>{d.last_status_code ?? "—"}</Table.Td>
              <Table.Td>{f.dateTime(d.created_at)}</Table.Td>
              <Table.Td>
                <Button
                  size="xs"
                  variant="subtle"
                  disabled={!endpoint.enabled || d.status === "pending"}
                  onClick={() => replay.mutate({ endpointId: endpoint.id, deliveryId: d.id })}
                >
                  {t("endpoints.replay")}
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </QueryState>
  );
}

export function EndpointsPage() {
  const t = useT();
  const shop = useCurrentShop();
  const endpoints = useEndpoints(shop.id);
  const actions = useEndpointActions(shop.id);
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<string[]>(["order.created"]);
  const [secret, setSecret] = useState<string | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const list = endpoints.data ?? [];

  return (
    <Stack>
      <Title order={2}>{t("endpoints.title")}</Title>
      <Text size="sm" c="dimmed">
        {t("endpoints.intro")}
      </Text>
      <Group align="end">
        <TextInput label={t("endpoints.url")} placeholder="https://" value={url} onChange={(e) => setUrl(e.currentTarget.value)} w={360} />
        <MultiSelect label={t("endpoints.events")} data={[...ENDPOINT_EVENTS]} value={events} onChange={setEvents} w={360} />
        <Button
          loading={actions.create.isPending}
          disabled={!url || events.length === 0}
          onClick={() =>
            actions.create.mutate({ url, events }, { onSuccess: (created) => { setSecret(created.secret); setUrl(""); } })
          }
        >
          {t("endpoints.add")}
        </Button>
      </Group>
      {actions.create.error && <Alert color="red">{actions.create.error.message}</Alert>}
      {secret && (
        <Alert color="yellow" title={t("endpoints.secretTitle")} withCloseButton onClose={() => setSecret(null)}>
          <Text size="sm">{t("endpoints.secretHint")}</Text>
          <Code data-testid="endpoint-secret">{secret}</Code>
        </Alert>
      )}
      <QueryState query={endpoints} isEmpty={list.length === 0} empty={t("endpoints.empty")}>
        <Stack>
          {list.map((endpoint) => (
            <Stack key={endpoint.id} gap="xs" data-testid="endpoint">
              <Group justify="space-between">
                <Stack gap={0}>
                  <Text fw={500}>{endpoint.url}</Text>
                  <Text size="xs" c="dimmed">
                    {endpoint.events.join(", ")}
                  </Text>
                  {!endpoint.enabled && endpoint.disabled_reason && (
                    <Text size="xs" c="red">
                      {t("endpoints.disabledBecause", { reason: endpoint.disabled_reason })}
                    </Text>
                  )}
                </Stack>
                <Group>
                  <Switch
                    label={t("endpoints.enabled")}
                    checked={endpoint.enabled}
                    onChange={(e) => actions.setEnabled.mutate({ id: endpoint.id, enabled: e.currentTarget.checked })}
                  />
                  <Button size="xs" variant="light" onClick={() => actions.ping.mutate(endpoint.id)}>
                    {t("endpoints.ping")}
                  </Button>
                  <Button size="xs" variant="subtle" onClick={() => setOpen(open === endpoint.id ? null : endpoint.id)}>
                    {t("endpoints.log")}
                  </Button>
                  <Button size="xs" color="red" variant="subtle" onClick={() => actions.remove.mutate(endpoint.id)}>
                    {t("endpoints.delete")}
                  </Button>
                </Group>
              </Group>
              {open === endpoint.id && <Deliveries shopId={shop.id} endpoint={endpoint} />}
            </Stack>
          ))}
        </Stack>
      </QueryState>
    </Stack>
  );
}
