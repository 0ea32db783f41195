/** App settings (admins) and shop settings (managers edit): typed inputs, problems shown inline. */

import {
  Alert,
  Button,
  Code,
  Fieldset,
  Group,
  NumberInput,
  Paper,
  Select,
  Stack,
  Switch,
  Text,
  Textarea,
  TextInput,
  Title,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState } from "react";

import { useMe } from "../../api/auth";
import { useSaveSettings, useSettings } from "../../api/settings";
import type { Setting } from "../../api/types";
import { ErrorNotice, QueryState } from "../../components/QueryState";
import { useCanManage, useCurrentShop } from "../../components/ShopScope";
import { useFormat, useLocale, useT } from "../../i18n/locale";
import type { MessageKey } from "../../i18n/messages";
import { changedValues, fromInput, problemsByKey, toInput, type Draft } from "./settingValues";
import { ChannelSettingsPanel } from "../channels/ChannelSettingsPanel";
import { UsagePanel } from "../usage/UsagePanel";

// the input stays narrow, its label and help use the row's width
const NARROW = { wrapper: { maxWidth: 360 } };

const AREA_KEYS = ["sync", "storage", "backups", "monitoring", "customers", "inventory"];

/** Settings in their areas, in the order the API lists them (it groups them already). */
export function groupByArea(items: Setting[]): { area: string; items: Setting[] }[] {
  const groups = new Map<string, Setting[]>();
  for (const item of items) {
    const area = item.area && AREA_KEYS.includes(item.area) ? item.area : "other";
    groups.set(area, [...(groups.get(area) ?? []), item]);
  }
  return [...groups.entries()].map(([area, grouped]) => ({ area, items: grouped }));
}

/** The input's own check before anything is sent: number, whole number, limits (in the user's words). */
export function useLimitProblem() {
  const t = useT();
  const f = useFormat();
  return (setting: Setting, input: unknown): string | undefined => {
    if (setting.type !== "int" && setting.type !== "float") return undefined;
    if (input === "" || input === null || input === undefined) return t("settings.numberRequired");
    const n = Number(input);
    if (!Number.isFinite(n)) return t("settings.numberRequired");
    if (setting.type === "int" && !Number.isInteger(n)) return t("settings.wholeNumber");
    if (setting.minimum !== null && setting.minimum !== undefined && n < setting.minimum)
      return t("settings.atLeast", { min: f.number(setting.minimum, 3) });
    if (setting.maximum !== null && setting.maximum !== undefined && n > setting.maximum)
      return t("settings.atMost", { max: f.number(setting.maximum, 3) });
    return undefined;
  };
}

/** Help text whose `backticked` parts (JSON examples, commands) are shown as code. */
function WithCode({ text }: { text: string }) {
  return (
    <>
      {text.split("`").map((part, i) => (i % 2 ? <Code key={i}>{part}</Code> : part))}
    </>
  );
}

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
  const f = useFormat();
  const { locale } = useLocale();
  const shown = (v: unknown) => {
    if (typeof v === "number") return f.number(v, 3);
    if (typeof v === "string") return setting.choices?.length ? choiceLabel(v) : v || "–";
    return JSON.stringify(v);
  };
  const choiceLabel = (choice: string) =>
    ["low", "medium", "high"].includes(choice) ? t(`choice.${choice}` as MessageKey) : choice;
  const help = setting.help?.[locale] ?? setting.description;
  const unit = setting.unit && setting.unit !== "share" ? t(`unit.${setting.unit}` as MessageKey) : null;
  const share =
    setting.unit === "share" && value !== "" && Number.isFinite(Number(value))
      ? t("settings.percentOf", { percent: f.percent(Number(value) * 100) })
      : null;
  const common = {
    label: setting.label?.[locale] ?? setting.key,
    description: (
      <>
        <WithCode text={help} /> {t("settings.default", { value: shown(setting.default) })}
      </>
    ),
    error,
    disabled,
    "data-setting": setting.key,
  };
  if (setting.choices?.length) {
    return (
      <Select
        {...common}
        data={setting.choices.map((c) => ({ value: c, label: choiceLabel(c) }))}
        value={String(value ?? "")}
        allowDeselect={false}
        onChange={(v) => v !== null && onChange(v)}
        styles={NARROW}
      />
    );
  }
  switch (setting.type) {
    case "int":
    case "float":
      return (
        <NumberInput
          {...common}
          value={value as number | string}
          allowDecimal={setting.type === "float"}
          min={setting.minimum ?? undefined}
          max={setting.maximum ?? undefined}
          clampBehavior="none"
          rightSection={unit ?? share}
          rightSectionWidth={unit || share ? 120 : undefined}
          rightSectionPointerEvents="none"
          onChange={(v) => onChange(v)}
          styles={NARROW}
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
      return <TextInput {...common} value={String(value ?? "")} onChange={(e) => onChange(e.currentTarget.value)} styles={NARROW} />;
  }
}

function SettingsForm({ shopId, canEdit }: { shopId: number | null; canEdit: boolean }) {
  const t = useT();
  const settings = useSettings(shopId);
  const save = useSaveSettings(shopId);
  const [draft, setDraft] = useState<Draft>({});
  const items = settings.data?.items ?? [];
  const serverProblems = problemsByKey(save.error, items.map((i) => i.key));
  const limitProblem = useLimitProblem();
  const localProblems: Record<string, string> = {};
  for (const item of items) {
    if (!(item.key in draft)) continue;
    const parsed = fromInput(item.type, draft[item.key]);
    const problem =
      parsed instanceof Error
        ? item.type === "json"
          ? t("settings.invalidJson", { error: parsed.message })
          : parsed.message
        : limitProblem(item, draft[item.key]);
    if (problem) localProblems[item.key] = problem;
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
          {groupByArea(items).map((group) => (
            <Fieldset key={group.area} legend={t(`settings.area.${group.area}` as MessageKey)} data-testid="settings-area" data-area={group.area}>
              <Stack gap="md">
                {group.items.map((item) => (
                  <SettingInput
                    key={item.key}
                    setting={item}
                    value={item.key in draft ? draft[item.key] : toInput(item.type, item.value)}
                    error={localProblems[item.key] ?? serverProblems[item.key]}
                    disabled={!canEdit}
                    onChange={(value) => setDraft((d) => ({ ...d, [item.key]: value }))}
                  />
                ))}
              </Stack>
            </Fieldset>
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
      <UsagePanel key={`usage-${shop.id}`} shopId={shop.id} />
      <ChannelSettingsPanel key={`channels-${shop.id}`} />
    </Stack>
  );
}
