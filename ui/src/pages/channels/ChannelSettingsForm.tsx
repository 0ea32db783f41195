/** One connection's settings (owner only): name, sync interval, stock and catalog push, and
 * replacing the keys. Keys are write-only: the inputs start empty, the stored key shows only as
 * its last 4 characters, and only what changed is sent. The API's validation problems are shown
 * under the fields they name; any other problem above the buttons. */

import { Button, Group, NumberInput, PasswordInput, Stack, Switch, Text, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState, type FormEvent } from "react";

import { useUpdateChannel, type ChannelConnection, type ChannelSettingsInput } from "../../api/channels";
import { ApiError } from "../../api/client";
import { ErrorNotice } from "../../components/QueryState";
import { useChannelsT } from "./messages";

export const INTERVAL_MIN = 5;
export const INTERVAL_MAX = 1440;

type Field = "name" | "sync_interval_minutes" | "consumer_key" | "consumer_secret";
const FIELDS: readonly Field[] = ["name", "sync_interval_minutes", "consumer_key", "consumer_secret"];

/** The problem's per-field messages (FastAPI's `errors[].loc` ends with the field's name). */
export function fieldErrors(error: unknown): Partial<Record<Field, string>> {
  if (!(error instanceof ApiError)) return {};
  const found: Partial<Record<Field, string>> = {};
  for (const e of error.problem.errors ?? []) {
    const last = e.loc[e.loc.length - 1];
    const field = FIELDS.find((f) => f === last);
    if (field && !found[field]) found[field] = e.msg;
  }
  return found;
}

export function ChannelSettingsForm({
  shopId,
  connection,
  onClose,
}: {
  shopId: number;
  connection: ChannelConnection;
  onClose: () => void;
}) {
  const t = useChannelsT();
  const update = useUpdateChannel(shopId, connection.id);
  const [name, setName] = useState(connection.name);
  const [interval, setInterval] = useState<number | string>(connection.sync_interval_minutes);
  const [stockPush, setStockPush] = useState(connection.stock_push_enabled);
  const [catalogPush, setCatalogPush] = useState(connection.catalog_push_enabled);
  const [key, setKey] = useState("");
  const [secret, setSecret] = useState("");
  const [local, setLocal] = useState<Partial<Record<Field, string>>>({});

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const minutes = typeof interval === "number" ? interval : Number(interval);
    const problems: Partial<Record<Field, string>> = {};
    if (!name.trim()) problems.name = t("nameRequired");
    if (!Number.isInteger(minutes) || minutes < INTERVAL_MIN || minutes > INTERVAL_MAX)
      problems.sync_interval_minutes = t("intervalRange", { min: INTERVAL_MIN, max: INTERVAL_MAX });
    setLocal(problems);
    if (Object.keys(problems).length > 0) return;
    const changes: ChannelSettingsInput = {};
    if (name.trim() !== connection.name) changes.name = name.trim();
    if (minutes !== connection.sync_interval_minutes) changes.sync_interval_minutes = minutes;
    if (stockPush !== connection.stock_push_enabled) changes.stock_push_enabled = stockPush;
    if (catalogPush !== connection.catalog_push_enabled) changes.catalog_push_enabled = catalogPush;
    if (key) changes.consumer_key = key;
    if (secret) changes.consumer_secret = secret;
    if (Object.keys(changes).length === 0) {
      onClose();
      return;
    }
    update.mutate(changes, {
      onSuccess: () => {
        notifications.show({ message: t("settingsSaved"), color: "teal" });
        onClose();
      },
    });
  };

  const server = fieldErrors(update.error);
  const errors = { ...server, ...local };
  const shownElsewhere = Object.keys(server).length > 0;
  return (
    <form onSubmit={submit} noValidate data-testid="channel-settings-form">
      <Stack>
        <TextInput label={t("name")} value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.name} data-autofocus />
        <NumberInput
          label={t("syncInterval")}
          description={t("syncIntervalHelp", { min: INTERVAL_MIN, max: INTERVAL_MAX })}
          value={interval}
          onChange={setInterval}
          allowDecimal={false}
          error={errors.sync_interval_minutes}
        />
        <Switch label={t("stockPush")} description={t("stockPushHelp")} checked={stockPush} onChange={(e) => setStockPush(e.currentTarget.checked)} />
        <Switch label={t("catalogPush")} description={t("catalogPushHelp")} checked={catalogPush} onChange={(e) => setCatalogPush(e.currentTarget.checked)} />
        <Text size="sm" c="dimmed">
          {t("replaceKeysHelp", { hint: connection.key_hint })}
        </Text>
        <TextInput
          label={t("newConsumerKey")}
          value={key}
          onChange={(e) => setKey(e.currentTarget.value)}
          placeholder={t("unchanged")}
          autoComplete="off"
          error={errors.consumer_key}
        />
        <PasswordInput
          label={t("newConsumerSecret")}
          value={secret}
          onChange={(e) => setSecret(e.currentTarget.value)}
          placeholder={t("unchanged")}
          autoComplete="new-password"
          error={errors.consumer_secret}
        />
        {update.error && !shownElsewhere && <ErrorNotice title={t("failed")} error={update.error} />}
        <Group justify="flex-end">
          <Button variant="subtle" onClick={onClose}>
            {t("cancel")}
          </Button>
          <Button type="submit" loading={update.isPending}>
            {t("saveSettings")}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
