/** Sales channels of the shop: the connected WooCommerce stores with their state, order counts
 * and last error, "Sync now" with live progress, connecting a store (URL, key, secret; owner
 * only) and the orders that came in oversold. */

import { Alert, Badge, Button, Group, Modal, PasswordInput, Progress, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState, type FormEvent } from "react";

import { useMe } from "../../api/auth";
import {
  useAddChannel,
  useChannelOrderCounts,
  useChannelSync,
  useChannels,
  useOversold,
  useRemoveChannel,
  type ChannelConnection,
  type ChannelConnectionInput,
} from "../../api/channels";
import { errorMessage } from "../../api/client";
import { ErrorNotice, QueryState } from "../../components/QueryState";
import { useCanManage, useCurrentShop } from "../../components/ShopScope";
import { useFormat, useT } from "../../i18n/locale";
import { ChannelSettingsForm } from "./ChannelSettingsForm";
import { ConnectionBadges } from "./ConnectionBadges";
import { useChannelsT } from "./messages";

const EMPTY: ChannelConnectionInput = { kind: "woocommerce", name: "", base_url: "https://", consumer_key: "", consumer_secret: "" };

function AddStoreForm({ shopId, onClose }: { shopId: number; onClose: () => void }) {
  const t = useChannelsT();
  const add = useAddChannel(shopId);
  const [values, setValues] = useState<ChannelConnectionInput>(EMPTY);
  const set = (field: keyof ChannelConnectionInput) => (e: { currentTarget: { value: string } }) =>
    setValues({ ...values, [field]: e.currentTarget.value });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate(values, {
      onSuccess: () => {
        notifications.show({ message: t("connected"), color: "teal" });
        onClose();
      },
    });
  };
  return (
    <form onSubmit={submit}>
      <Stack>
        <TextInput label={t("name")} value={values.name} onChange={set("name")} required data-autofocus />
        <TextInput label={t("baseUrl")} description={t("baseUrlHelp")} value={values.base_url} onChange={set("base_url")} required />
        <TextInput label={t("consumerKey")} value={values.consumer_key} onChange={set("consumer_key")} required autoComplete="off" />
        <PasswordInput label={t("consumerSecret")} description={t("keysHelp")} value={values.consumer_secret} onChange={set("consumer_secret")} required autoComplete="off" />
        {add.error && <ErrorNotice title={t("failed")} error={add.error} />}
        <Group justify="flex-end">
          <Button variant="subtle" onClick={onClose}>
            {t("cancel")}
          </Button>
          <Button type="submit" loading={add.isPending}>
            {t("save")}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function SyncCell({ shopId, connection, canSync }: { shopId: number; connection: ChannelConnection; canSync: boolean }) {
  const t = useChannelsT();
  const { state, start, active } = useChannelSync(shopId, connection.id);
  const progress = state.data?.progress;
  const share = progress && progress.pages_total > 0 ? (100 * progress.pages_done) / progress.pages_total : 0;
  return (
    <Stack gap={4}>
      {canSync && (
        <Button size="xs" variant="light" onClick={() => start.mutate()} loading={start.isPending} disabled={active}>
          {active ? t("syncing") : t("syncNow")}
        </Button>
      )}
      {progress && (active || progress.phase === "failed" || progress.phase === "done") && (
        <>
          {active && <Progress value={share} size="sm" aria-label={t("syncing")} />}
          <Text size="xs" c="dimmed" data-testid={`channel-progress-${connection.id}`}>
            {t("progress", {
              phase: t(`phase_${progress.phase}`),
              imported: progress.orders_imported,
              total: progress.orders_total,
              page: progress.pages_done,
              pages: progress.pages_total,
              pushed: progress.stock_pushed,
            })}
            {progress.catalog_pushed ? `, ${t("catalogProgress", { pushed: progress.catalog_pushed })}` : ""}
          </Text>
        </>
      )}
      {start.error && <Text size="xs" c="red">{errorMessage(start.error)}</Text>}
    </Stack>
  );
}

function OrdersPerChannel({ shopId }: { shopId: number }) {
  const t = useChannelsT();
  const common = useT();
  const f = useFormat();
  const counts = useChannelOrderCounts(shopId);
  if (!counts.data) return null;
  return (
    <Group gap="xs" data-testid="orders-per-channel">
      <Text size="sm">{t("ordersPerChannel")}:</Text>
      {counts.data.map((c) => (
        <Badge key={c.channel} variant="light" color="gray">
          {common(`channel.${c.channel}`)}: {f.number(c.orders)}
        </Badge>
      ))}
    </Group>
  );
}

function OversoldList({ shopId }: { shopId: number }) {
  const t = useChannelsT();
  const f = useFormat();
  const oversold = useOversold(shopId);
  return (
    <Stack gap="xs">
      <Title order={3}>{t("oversoldTitle")}</Title>
      <Text size="sm" c="dimmed">
        {t("oversoldIntro")}
      </Text>
      <QueryState query={oversold} isEmpty={(oversold.data ?? []).length === 0} empty={t("oversoldEmpty")}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("order")}</Table.Th>
              <Table.Th>{t("kind")}</Table.Th>
              <Table.Th>{t("variant")}</Table.Th>
              <Table.Th ta="right">{t("quantity")}</Table.Th>
              <Table.Th ta="right">{t("availableBefore")}</Table.Th>
              <Table.Th>{t("when")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(oversold.data ?? []).map((line) => (
              <Table.Tr key={`${line.channel}:${line.order_code}:${line.variant_code}`}>
                <Table.Td>{line.order_code}</Table.Td>
                <Table.Td>{line.channel}</Table.Td>
                <Table.Td>{line.variant_code}</Table.Td>
                <Table.Td ta="right">{f.number(line.quantity)}</Table.Td>
                <Table.Td ta="right">{f.number(line.available_before)}</Table.Td>
                <Table.Td>{f.dateTime(line.created_at)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </QueryState>
    </Stack>
  );
}

export function ChannelsPage() {
  const t = useChannelsT();
  const f = useFormat();
  const shop = useCurrentShop();
  const me = useMe();
  const canSync = useCanManage(shop);
  const isOwner = me.data?.role === "admin" || shop.role === "owner";
  const channels = useChannels(shop.id);
  const remove = useRemoveChannel(shop.id);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<ChannelConnection | null>(null);

  return (
    <Stack>
      <Group justify="space-between" align="baseline">
        <Title order={2}>{t("title")}</Title>
        {isOwner && <Button onClick={() => setAdding(true)}>{t("add")}</Button>}
      </Group>
      <Text size="sm" c="dimmed">
        {t("intro")}
      </Text>
      <OrdersPerChannel shopId={shop.id} />
      {!isOwner && (
        <Alert color="gray" variant="light">
          {t("ownerOnly")}
        </Alert>
      )}
      <QueryState query={channels} isEmpty={(channels.data ?? []).length === 0} empty={t("empty")}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("name")}</Table.Th>
              <Table.Th>{t("kind")}</Table.Th>
              <Table.Th>{t("status")}</Table.Th>
              <Table.Th ta="right">{t("ordersImported")}</Table.Th>
              <Table.Th>{t("lastSync")}</Table.Th>
              <Table.Th>{t("key")}</Table.Th>
              <Table.Th />
              <Table.Th />
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(channels.data ?? []).map((c) => (
              <Table.Tr key={c.id} data-testid="channel-row">
                <Table.Td>
                  <Text size="sm" fw={500}>
                    {c.name}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {c.base_url}
                  </Text>
                  <ConnectionBadges connection={c} size="xs" mt={2} />
                </Table.Td>
                <Table.Td>WooCommerce</Table.Td>
                <Table.Td>
                  <Badge color={c.status === "failing" ? "red" : "teal"} variant="light">
                    {c.status === "failing" ? t("statusFailing") : t("statusActive")}
                  </Badge>
                  {c.last_error && (
                    <Text size="xs" c="red" title={t("lastError")}>
                      {c.last_error}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td ta="right">{f.number(c.orders_imported)}</Table.Td>
                <Table.Td>{c.last_sync_at ? f.dateTime(c.last_sync_at) : t("never")}</Table.Td>
                <Table.Td>…{c.key_hint}</Table.Td>
                <Table.Td>
                  <SyncCell shopId={shop.id} connection={c} canSync={canSync} />
                </Table.Td>
                <Table.Td>
                  {isOwner && (
                    <Button size="xs" variant="light" onClick={() => setEditing(c)} aria-label={`${t("settings")} ${c.name}`}>
                      {t("settings")}
                    </Button>
                  )}
                </Table.Td>
                <Table.Td>
                  {isOwner && (
                    <Button
                      size="xs"
                      color="red"
                      variant="subtle"
                      loading={remove.isPending && remove.variables === c.id}
                      onClick={() => {
                        if (!window.confirm(t("confirmRemove", { name: c.name }))) return;
                        remove.mutate(c.id, {
                          onSuccess: () => notifications.show({ message: t("removed"), color: "teal" }),
                          onError: (error) => notifications.show({ message: errorMessage(error), color: "red" }),
                        });
                      }}
                    >
                      {t("remove")}
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </QueryState>
      <OversoldList shopId={shop.id} />
      <Modal opened={adding} onClose={() => setAdding(false)} title={t("addTitle")}>
        {adding && <AddStoreForm shopId={shop.id} onClose={() => setAdding(false)} />}
      </Modal>
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing ? t("settingsTitle", { name: editing.name }) : ""}>
        {editing && <ChannelSettingsForm shopId={shop.id} connection={editing} onClose={() => setEditing(null)} />}
      </Modal>
    </Stack>
  );
}
