/** App settings (admins) and shop settings (managers edit): typed inputs, problems shown inline. */

import { Alert, Button, Group, NumberInput, Paper, Stack, Switch, Text, Textarea, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState } from "react";

import { useMe } from "../../api/auth";
import { useSaveSettings, useSettings } from "../../api/settings";
import type { Setting } from "../../api/types";
import { ErrorNotice, QueryState } from "../../components/QueryState";
import { useCanManage, useCurrentShop } from "../../components/ShopScope";
import { useT } from "../../i18n/locale";
import { changedValues, fromInput, problemsByKey, toInput, type Draft } from "./settingValues";

function SettingInput({
  setting,
  value,
  error,
  disabled,
  onChange,
}: {
  setting: Setting;
  value: unknown;
  error: string | undefined;
  disabled: boolean;
  onChange: (value: unknown) => void;
}) {
  const t = useT();
  const common = {
    label: setting.key,
    description: `${setting.description} ${t("settings.default", { value: JSON.stringify(setting.default) })}`,
    error,
    disabled,
    "data-setting": setting.key,
  };
  switch (setting.type) {
    case "int":
    case "float":
      return (
        <NumberInput
          {...common}
          value={value as number | string}
          allowDecimal={setting.type === "float"}
          onChange={(v) => onChange(v)}
        />
      );
    case "bool":
      return (
        <Switch
          {...common}
          checked={Boolean(value)}
          onChange={(e) => onChange(e.currentTarget.checked)}
        />
      );
    case "json":
      return (
        <Textarea
          {...common}
          autosize
          minRows={2}
          styles={{ input: { fontFamily: "monospace" } }}
          value={String(value)}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
      );
    default:
      return <TextInput {...common} value={String(value ?? "")} onChange={(e) => onChange(e.currentTarget.value)} />;
  }
}

function SettingsForm({ shopId, canEdit }: { shopId: number | null; canEdit: boolean }) {
  const t = useT();
  const settings = useSettings(shopId);
  const save = useSaveSettings(shopId);
  const [draft, setDraft] = useState<Draft>({});
  const items = settings.data?.items ?? [];
  const serverProblems = problemsByKey(save.error, items.map((i) => i.key));
  const localProblems: Record<string, string> = {};
  for (const item of items) {
    if (!(item.key in draft)) continue;
    const parsed = fromInput(item.type, draft[item.key]);
    if (parsed instanceof Error) {
      localProblems[item.key] =
        item.type === "json" ? t("settings.invalidJson", { error: parsed.message }) : parsed.message;
    }
  }
  const changes = changedValues(items, draft);
  const dirty = Object.keys(changes).length > 0;

  const submit = () =>
    save.mutate(changes, {
      onSuccess: () => {
        setDraft({});
        notifications.show({ message: t("settings.saved"), color: "teal" });
      },
    });

  return (
    <QueryState query={settings} isEmpty={items.length === 0} empty={t("settings.empty")}>
      <Paper withBorder p="md">
        <Stack>
          {!canEdit && <Alert color="gray">{t("settings.readOnly")}</Alert>}
          {items.map((item) => (
            <SettingInput
              key={item.key}
              setting={item}
              value={item.key in draft ? draft[item.key] : toInput(item.type, item.value)}
              error={localProblems[item.key] ?? serverProblems[item.key]}
              disabled={!canEdit}
              onChange={(value) => setDraft((d) => ({ ...d, [item.key]: value }))}
            />
          ))}
          {save.error && Object.keys(serverProblems).length === 0 && <ErrorNotice error={save.error} />}
          {canEdit && (
            <Group justify="flex-end">
              <Button variant="subtle" disabled={!Object.keys(draft).length} onClick={() => { setDraft({}); save.reset(); }}>
                {t("settings.reset")}
              </Button>
              <Button
                onClick={submit}
                disabled={!dirty || Object.keys(localProblems).length > 0}
                loading={save.isPending}
                data-testid="save-settings"
              >
                {t("settings.save")}
              </Button>
            </Group>
          )}
        </Stack>
      </Paper>
    </QueryState>
  );
}

export function AppSettingsPage() {
  const t = useT();
  const me = useMe();
  return (
    <Stack>
      <Title order={2}>{t("settings.appTitle")}</Title>
      {me.data?.role === "admin" ? (
        <SettingsForm shopId={null} canEdit />
      ) : (
        <Text c="dimmed">{t("settings.adminOnly")}</Text>
      )}
    </Stack>
  );
}

export function ShopSettingsPage() {
  const t = useT();
  const shop = useCurrentShop();
  const canEdit = useCanManage(shop);
  return (
    <Stack>
      <Title order={2}>{t("settings.shopTitle", { shop: shop.name })}</Title>
      <SettingsForm key={shop.id} shopId={shop.id} canEdit={canEdit} />
    </Stack>
  );
}
