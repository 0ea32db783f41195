/** Catalog feeds (publish, carriers, out-of-stock delivery days, the stable addresses, generate
 * now, new addresses) and resellers of the B2B API (discount, API keys shown once, revocation).
 * Managers change feeds; only owners see and manage resellers. */

import {
  Alert,
  Badge,
  Button,
  Code,
  Group,
  NumberInput,
  Stack,
  Switch,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useEffect, useState, type FormEvent } from "react";

import {
  useCreateReseller,
  useCreateResellerKey,
  useFeedSettings,
  useGenerateFeeds,
  useResellers,
  useRevokeReseller,
  useRevokeResellerKey,
  useRotateFeedToken,
  useSaveFeedSettings,
  type Carrier,
  type FeedFormat,
  type FeedSettings,
  type NewResellerKey,
  type Reseller,
} from "../../api/feeds";
import { useMe } from "../../api/auth";
import { errorMessage } from "../../api/client";
import { ErrorNotice, QueryState } from "../../components/QueryState";
import { useCanManage, useCurrentShop } from "../../components/ShopScope";
import { useFormat } from "../../i18n/locale";
import { useChannelsT } from "./feedsMessages";

const FORMATS: FeedFormat[] = ["heureka", "zbozi", "google", "idealo"];
const FORMAT_NAMES: Record<FeedFormat, string> = {
  heureka: "Heureka",
  zbozi: "Zboží.cz",
  google: "Google Merchant / Meta",
  idealo: "idealo (CSV)",
};

/** "PPL;89;119" lines to carriers; a decimal comma becomes a point. */
export function parseCarriers(text: string): Carrier[] {
  return text
    .split("\n")
    .map((line) => line.split(";").map((part) => part.trim().replace(",", ".")))
    .filter((parts) => parts[0])
    .map(([id = "", price, cod]) => ({ id: id.toUpperCase(), price: price || "0", price_cod: cod || null }));
}

export function carriersText(carriers: Carrier[]): string {
  return carriers.map((c) => [c.id, c.price, c.price_cod].filter(Boolean).join(";")).join("\n");
}

function FeedsPanel({ shopId, canManage }: { shopId: number; canManage: boolean }) {
  const t = useChannelsT();
  const f = useFormat();
  const settings = useFeedSettings(shopId);
  const save = useSaveFeedSettings(shopId);
  const rotate = useRotateFeedToken(shopId);
  const generate = useGenerateFeeds(shopId);
  const current: FeedSettings | null | undefined = settings.data;
  const [enabled, setEnabled] = useState(false);
  const [days, setDays] = useState<number>(14);
  const [carriers, setCarriers] = useState("");

  useEffect(() => {
    if (current) {
      setEnabled(current.enabled);
      setDays(current.out_of_stock_days);
      setCarriers(carriersText(current.delivery));
    }
  }, [current]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(
      { enabled, out_of_stock_days: days, delivery: parseCarriers(carriers) },
      { onSuccess: () => notifications.show({ message: t("saved"), color: "green" }) },
    );
  };

  return (
    <Stack gap="sm">
      <Title order={3}>{t("feedsTitle")}</Title>
      <Text size="sm" c="dimmed">
        {t("feedsIntro")}
      </Text>
      <QueryState query={settings}>
        {!current?.enabled && <Text>{t("feedsOff")}</Text>}
        {current?.enabled && (
          <>
            <Text size="sm">
              {current.generated_at ? t("generatedAt", { when: f.dateTime(current.generated_at) }) : t("neverGenerated")}
            </Text>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t("format")}</Table.Th>
                  <Table.Th>{t("address")}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {FORMATS.map((format) => (
                  <Table.Tr key={format}>
                    <Table.Td>{FORMAT_NAMES[format]}</Table.Td>
                    <Table.Td>
                      <Code>{current.urls[format]}</Code>
                    </Table.Td>
                    <Table.Td>
                      {current.items[format] !== undefined && t("items", { count: f.number(current.items[format] ?? 0) })}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </>
        )}
        {canManage && (
          <form onSubmit={submit}>
            <Stack gap="xs" maw={560}>
              <Switch
                label={enabled ? t("enabled") : t("enable")}
                checked={enabled}
                onChange={(event) => setEnabled(event.currentTarget.checked)}
              />
              <NumberInput
                label={t("outOfStockDays")}
                min={0}
                max={365}
                value={days}
                onChange={(value) => setDays(Number(value) || 0)}
              />
              <Textarea
                label={t("carriers")}
                description={t("carriersHelp")}
                autosize
                minRows={2}
                value={carriers}
                onChange={(event) => setCarriers(event.currentTarget.value)}
              />
              {save.error && <ErrorNotice error={save.error} />}
              <Group>
                <Button type="submit" loading={save.isPending}>
                  {t("save")}
                </Button>
                {current?.enabled && (
                  <>
                    <Button
                      variant="light"
                      loading={generate.isPending}
                      onClick={() =>
                        generate.mutate(undefined, {
                          onSuccess: () => notifications.show({ message: t("generating") }),
                          onError: (error) => notifications.show({ message: errorMessage(error), color: "red" }),
                        })
                      }
                    >
                      {t("generateNow")}
                    </Button>
                    <Button
                      variant="subtle"
                      color="red"
                      loading={rotate.isPending}
                      onClick={() => {
                        if (window.confirm(t("confirmNewAddress"))) rotate.mutate();
                      }}
                    >
                      {t("newAddress")}
                    </Button>
                  </>
                )}
              </Group>
            </Stack>
          </form>
        )}
      </QueryState>
    </Stack>
  );
}

function ResellerRow({ shopId, reseller, onKey }: { shopId: number; reseller: Reseller; onKey: (key: NewResellerKey) => void }) {
  const t = useChannelsT();
  const f = useFormat();
  const createKey = useCreateResellerKey(shopId);
  const revokeKey = useRevokeResellerKey(shopId);
  const revoke = useRevokeReseller(shopId);
  const active = reseller.revoked_at === null;
  return (
    <Table.Tr>
      <Table.Td>
        <Text fw={500}>{reseller.name}</Text>
        <Text size="xs" c="dimmed">
          {reseller.email}
        </Text>
      </Table.Td>
      <Table.Td>{f.number(reseller.discount_percent, 2)} %</Table.Td>
      <Table.Td>
        <Stack gap={4}>
          {reseller.keys.map((key) => (
            <Group key={key.id} gap="xs">
              <Code>{key.prefix}…</Code>
              <Text size="xs">{key.name}</Text>
              <Text size="xs" c="dimmed">
                {key.last_used_at ? t("lastUsed", { when: f.relative(key.last_used_at) }) : t("neverUsed")}
              </Text>
              {key.revoked_at ? (
                <Badge color="gray" size="xs">
                  {t("revoked")}
                </Badge>
              ) : (
                <Button
                  size="compact-xs"
                  variant="subtle"
                  color="red"
                  aria-label={t("revokeKey", { prefix: key.prefix })}
                  onClick={() => revokeKey.mutate({ resellerId: reseller.id, keyId: key.id })}
                >
                  {t("revoke")}
                </Button>
              )}
            </Group>
          ))}
        </Stack>
      </Table.Td>
      <Table.Td>
        {active ? (
          <Group gap="xs">
            <Button
              size="compact-sm"
              variant="light"
              loading={createKey.isPending}
              onClick={() => createKey.mutate({ resellerId: reseller.id, name: t("newKey") }, { onSuccess: onKey })}
            >
              {t("newKey")}
            </Button>
            <Button
              size="compact-sm"
              variant="subtle"
              color="red"
              onClick={() => {
                if (window.confirm(t("confirmRevokeReseller", { name: reseller.name }))) revoke.mutate(reseller.id);
              }}
            >
              {t("revoke")}
            </Button>
          </Group>
        ) : (
          <Badge color="gray">{t("revoked")}</Badge>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

function ResellersPanel({ shopId }: { shopId: number }) {
  const t = useChannelsT();
  const resellers = useResellers(shopId, true);
  const create = useCreateReseller(shopId);
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [discount, setDiscount] = useState<number>(0);
  const [shownKey, setShownKey] = useState<NewResellerKey | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(
      { name: name.trim(), email: email.trim() || null, discount_percent: String(discount) },
      { onSuccess: () => setName("") },
    );
  };

  return (
    <Stack gap="sm">
      <Title order={3}>{t("resellersTitle")}</Title>
      <Text size="sm" c="dimmed">
        {t("resellersIntro")}
      </Text>
      {shownKey && (
        <Alert color="yellow" withCloseButton closeButtonLabel={t("close")} onClose={() => setShownKey(null)}>
          <Text size="sm">{t("keyShownOnce")}</Text>
          <Code block>{shownKey.key}</Code>
        </Alert>
      )}
      <QueryState query={resellers} isEmpty={resellers.data?.length === 0} empty={<Text>{t("resellersEmpty")}</Text>}>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("name")}</Table.Th>
              <Table.Th>{t("discount")}</Table.Th>
              <Table.Th>{t("keys")}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(resellers.data ?? []).map((reseller) => (
              <ResellerRow key={reseller.id} shopId={shopId} reseller={reseller} onKey={setShownKey} />
            ))}
          </Table.Tbody>
        </Table>
      </QueryState>
      <form onSubmit={submit}>
        <Group align="end">
          <TextInput label={t("name")} required value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <TextInput label={t("email")} type="email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} />
          <NumberInput
            label={t("discount")}
            min={0}
            max={99.99}
            decimalScale={2}
            value={discount}
            onChange={(value) => setDiscount(Number(value) || 0)}
          />
          <Button type="submit" loading={create.isPending} disabled={!name.trim()}>
            {t("addReseller")}
          </Button>
        </Group>
        {create.error && <ErrorNotice error={create.error} />}
      </form>
    </Stack>
  );
}

export function FeedsResellersPage() {
  const t = useChannelsT();
  const shop = useCurrentShop();
  const canManage = useCanManage(shop);
  const isOwner = useMe().data?.role === "admin" || shop.role === "owner";
  return (
    <Stack gap="xl">
      <Title order={2}>{t("title")}</Title>
      <FeedsPanel shopId={shop.id} canManage={canManage} />
      {isOwner ? <ResellersPanel shopId={shop.id} /> : <Text c="dimmed">{t("ownerOnly")}</Text>}
    </Stack>
  );
}
