/** Suppliers and their offers per variant: managers add and edit suppliers (lead time mean and
 * spread, cost per order), each supplier's offers (price, price breaks, MOQ, pack size, an own
 * lead time) and import offers from CSV, seeing every rejected row with its line and reason.
 * The open supplier and a variant to add an offer for (from "What to order") live in the URL. */

import {
  Alert,
  Badge,
  Button,
  FileButton,
  Group,
  Modal,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState, type FormEvent } from "react";

import { errorMessage } from "../../../api/client";
import {
  useDeleteOffer,
  useDeleteSupplier,
  useImportOffers,
  useOffers,
  useSaveOffer,
  useSaveSupplier,
  useSuppliers,
  type ImportResult,
  type DeliveryRecord,
  type Offer,
  type OfferInput,
  type PriceBreak,
  type Supplier,
  type SupplierInput,
} from "../../../api/suppliers";
import { LinkButton } from "../../../components/LinkButton";
import { LoadMore } from "../../../components/LoadMore";
import { ErrorNotice, QueryState } from "../../../components/QueryState";
import { useCanManage, useCurrentShop } from "../../../components/ShopScope";
import { useSearchUpdate } from "../../../components/useSearchUpdate";
import { useFormat } from "../../../i18n/locale";
import { useSuppliersT } from "./messages";

const NEW_SUPPLIER: SupplierInput = {
  name: "",
  email: null,
  currency: "CZK",
  lead_time_days: "7",
  lead_time_sd_days: "2",
  order_cost: "0",
};

/** Optional decimals: an empty field is null; a decimal comma becomes a point. */
export function decimalOrNull(value: string): string | null {
  const text = value.trim().replace(/\s/g, "").replace(",", ".");
  return text === "" ? null : text;
}

function SupplierForm({
  shopId,
  supplier,
  onClose,
}: {
  shopId: number;
  supplier: Supplier | null;
  onClose: () => void;
}) {
  const t = useSuppliersT();
  const save = useSaveSupplier(shopId);
  const [values, setValues] = useState<SupplierInput>(
    supplier
      ? {
          name: supplier.name,
          email: supplier.email,
          currency: supplier.currency,
          lead_time_days: supplier.lead_time_days,
          lead_time_sd_days: supplier.lead_time_sd_days,
          order_cost: supplier.order_cost,
        }
      : NEW_SUPPLIER,
  );
  const field = (name: keyof SupplierInput) => ({
    value: values[name] ?? "",
    onChange: (event: { currentTarget: { value: string } }) => {
      const value = event.currentTarget.value;
      setValues((previous) => ({ ...previous, [name]: value }));
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body: SupplierInput = {
      name: values.name.trim(),
      email: values.email?.trim() ? values.email.trim() : null,
      currency: values.currency.trim().toUpperCase(),
      lead_time_days: decimalOrNull(values.lead_time_days) ?? "0",
      lead_time_sd_days: decimalOrNull(values.lead_time_sd_days) ?? "0",
      order_cost: decimalOrNull(values.order_cost) ?? "0",
    };
    save.mutate(
      { id: supplier?.id ?? null, values: body },
      {
        onSuccess: () => {
          notifications.show({ message: t("saved") });
          onClose();
        },
      },
    );
  };
  return (
    <form onSubmit={submit} data-testid="supplier-form">
      <Stack>
        {save.error ? <ErrorNotice error={save.error} title={t("saveFailed")} /> : null}
        <TextInput label={t("name")} required {...field("name")} />
        <TextInput label={t("email")} type="email" {...field("email")} />
        <TextInput label={t("currency")} maxLength={3} w={100} {...field("currency")} />
        <Group grow>
          <TextInput label={t("leadTimeDays")} inputMode="decimal" {...field("lead_time_days")} />
          <TextInput label={t("leadTimeSd")} inputMode="decimal" {...field("lead_time_sd_days")} />
        </Group>
        <Text size="xs" c="dimmed">
          {t("leadTimeHelp")}
        </Text>
        <TextInput
          label={t("orderCost")}
          description={t("orderCostHelp")}
          inputMode="decimal"
          {...field("order_cost")}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t("cancel")}
          </Button>
          <Button type="submit" loading={save.isPending} data-testid="save-supplier">
            {t("save")}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

type OfferDraft = {
  code: string;
  unit_price: string;
  moq: string;
  pack_size: string;
  lead_time_days: string;
  lead_time_sd_days: string;
  supplier_stock: string;
  price_breaks: PriceBreak[];
};

function draftOf(offer: Offer | null, code: string): OfferDraft {
  return {
    code: offer?.variant_code ?? code,
    unit_price: offer?.unit_price ?? "",
    moq: offer?.moq ?? "",
    pack_size: offer?.pack_size ?? "",
    lead_time_days: offer?.lead_time_days ?? "",
    lead_time_sd_days: offer?.lead_time_sd_days ?? "",
    supplier_stock: offer?.supplier_stock ?? "",
    price_breaks: offer?.price_breaks ?? [],
  };
}

/** The form's draft as the API's body: empty optional fields are null, empty tiers dropped. */
export function offerInput(draft: OfferDraft): OfferInput {
  return {
    unit_price: decimalOrNull(draft.unit_price) ?? "",
    moq: decimalOrNull(draft.moq),
    pack_size: decimalOrNull(draft.pack_size),
    lead_time_days: decimalOrNull(draft.lead_time_days),
    lead_time_sd_days: decimalOrNull(draft.lead_time_sd_days),
    supplier_stock: decimalOrNull(draft.supplier_stock ?? ""),
    price_breaks: draft.price_breaks
      .map((tier) => ({
        min_quantity: decimalOrNull(tier.min_quantity) ?? "",
        unit_price: decimalOrNull(tier.unit_price) ?? "",
      }))
      .filter((tier) => tier.min_quantity !== "" || tier.unit_price !== ""),
  };
}

function OfferForm({
  shopId,
  supplierId,
  offer,
  code,
  onClose,
}: {
  shopId: number;
  supplierId: number;
  offer: Offer | null;
  code: string;
  onClose: () => void;
}) {
  const t = useSuppliersT();
  const save = useSaveOffer(shopId);
  const [draft, setDraft] = useState<OfferDraft>(draftOf(offer, code));
  const field = (name: Exclude<keyof OfferDraft, "price_breaks">) => ({
    value: draft[name],
    onChange: (event: { currentTarget: { value: string } }) => {
      const value = event.currentTarget.value;
      setDraft((previous) => ({ ...previous, [name]: value }));
    },
  });
  const setTier = (index: number, key: keyof PriceBreak, value: string) =>
    setDraft((previous) => ({
      ...previous,
      price_breaks: previous.price_breaks.map((tier, i) => (i === index ? { ...tier, [key]: value } : tier)),
    }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(
      { supplierId, code: draft.code.trim(), offer: offerInput(draft) },
      {
        onSuccess: () => {
          notifications.show({ message: t("saved") });
          onClose();
        },
      },
    );
  };
  return (
    <form onSubmit={submit} data-testid="offer-form">
      <Stack>
        {save.error ? <ErrorNotice error={save.error} title={t("saveFailed")} /> : null}
        <TextInput label={t("variantCode")} required disabled={offer !== null} {...field("code")} />
        <Group grow>
          <TextInput label={t("unitPrice")} required inputMode="decimal" {...field("unit_price")} />
          <TextInput label={t("moq")} inputMode="decimal" {...field("moq")} />
          <TextInput label={t("packSize")} inputMode="decimal" {...field("pack_size")} />
        </Group>
        <Group grow>
          <TextInput label={t("leadTimeDays")} inputMode="decimal" {...field("lead_time_days")} />
          <TextInput label={t("leadTimeSd")} inputMode="decimal" {...field("lead_time_sd_days")} />
        </Group>
        <Text size="xs" c="dimmed">
          {t("offerLeadTimeHelp")}
        </Text>
        <TextInput
          label={t("supplierStock")}
          description={t("supplierStockHelp")}
          inputMode="decimal"
          {...field("supplier_stock")}
        />
        <Stack gap="xs">
          <Text size="sm" fw={500}>
            {t("priceBreaks")}
          </Text>
          <Text size="xs" c="dimmed">
            {t("priceBreaksHelp")}
          </Text>
          {draft.price_breaks.map((tier, index) => (
            <Group key={index} align="flex-end" data-testid="price-break">
              <TextInput
                label={t("minQuantity")}
                inputMode="decimal"
                value={tier.min_quantity}
                onChange={(event) => setTier(index, "min_quantity", event.currentTarget.value)}
              />
              <TextInput
                label={t("breakPrice")}
                inputMode="decimal"
                value={tier.unit_price}
                onChange={(event) => setTier(index, "unit_price", event.currentTarget.value)}
              />
              <Button
                variant="subtle"
                color="red"
                onClick={() =>
                  setDraft((previous) => ({
                    ...previous,
                    price_breaks: previous.price_breaks.filter((_, i) => i !== index),
                  }))
                }
              >
                {t("removeBreak")}
              </Button>
            </Group>
          ))}
          <Group>
            <Button
              variant="light"
              size="xs"
              onClick={() =>
                setDraft((previous) => ({
                  ...previous,
                  price_breaks: [...previous.price_breaks, { min_quantity: "", unit_price: "" }],
                }))
              }
            >
              {t("addBreak")}
            </Button>
          </Group>
        </Stack>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t("cancel")}
          </Button>
          <Button type="submit" loading={save.isPending} data-testid="save-offer">
            {t("save")}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function OffersTable({
  shopId,
  supplier,
  canManage,
  variant,
}: {
  shopId: number;
  supplier: Supplier;
  canManage: boolean;
  variant: string | null;
}) {
  const t = useSuppliersT();
  const f = useFormat();
  const offers = useOffers(shopId, supplier.id);
  const remove = useDeleteOffer(shopId);
  // an open form: null = closed; { offer: null } = a new offer
  const [editing, setEditing] = useState<{ offer: Offer | null } | null>(variant ? { offer: null } : null);
  return (
    <Stack data-testid="offers">
      <Group justify="space-between">
        <Title order={4}>{t("offersOf", { supplier: supplier.name })}</Title>
        {canManage && (
          <Button variant="light" onClick={() => setEditing({ offer: null })} data-testid="add-offer">
            {t("addOffer")}
          </Button>
        )}
      </Group>
      {remove.error ? <ErrorNotice error={remove.error} title={t("deleteFailed")} /> : null}
      <QueryState query={offers} isEmpty={offers.items.length === 0} empty={t("offersEmpty")}>
        <Table striped verticalSpacing="xs" data-testid="offers-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("variantCode")}</Table.Th>
              <Table.Th ta="right">{t("unitPrice")}</Table.Th>
              <Table.Th>{t("priceBreaks")}</Table.Th>
              <Table.Th ta="right">{t("moq")}</Table.Th>
              <Table.Th ta="right">{t("packSize")}</Table.Th>
              <Table.Th>{t("leadTime")}</Table.Th>
              <Table.Th title={t("deliveryRecordHelp")}>{t("deliveryRecord")}</Table.Th>
              <Table.Th ta="right">{t("supplierStock")}</Table.Th>
              {canManage && <Table.Th />}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {offers.items.map((offer) => (
              <Table.Tr key={offer.variant_code} data-testid="offer-row">
                <Table.Td>
                  {offer.variant_code}
                  {offer.variant_name && (
                    <Text size="xs" c="dimmed">
                      {offer.variant_name}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td ta="right">{f.money(offer.unit_price, supplier.currency)}</Table.Td>
                <Table.Td>
                  {offer.price_breaks
                    .map((tier) =>
                      t("breakFrom", {
                        quantity: f.number(tier.min_quantity),
                        price: f.money(tier.unit_price, supplier.currency),
                      }),
                    )
                    .join(", ") || "–"}
                </Table.Td>
                <Table.Td ta="right">{offer.moq === null ? "–" : f.number(offer.moq)}</Table.Td>
                <Table.Td ta="right">{offer.pack_size === null ? "–" : f.number(offer.pack_size)}</Table.Td>
                <Table.Td>
                  {offer.lead_time_days === null
                    ? `${f.number(supplier.lead_time_days, 1)} ± ${f.number(supplier.lead_time_sd_days, 1)} (${t("suppliersLeadTime")})`
                    : `${f.number(offer.lead_time_days, 1)} ± ${f.number(offer.lead_time_sd_days ?? supplier.lead_time_sd_days, 1)}`}
                </Table.Td>
                <Table.Td>
                  <DeliveryRecordCell record={offer} />
                </Table.Td>
                <Table.Td ta="right">
                  {offer.supplier_stock == null ? (
                    "–"
                  ) : Number(offer.supplier_stock) <= 0 ? (
                    <Badge color="red" variant="light">
                      {t("outOfStock")}
                    </Badge>
                  ) : (
                    f.number(offer.supplier_stock)
                  )}
                </Table.Td>
                {canManage && (
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Button size="xs" variant="light" onClick={() => setEditing({ offer })}>
                        {t("editOffer")}
                      </Button>
                      <Button
                        size="xs"
                        variant="subtle"
                        color="red"
                        loading={remove.isPending && remove.variables?.code === offer.variant_code}
                        onClick={() => remove.mutate({ supplierId: supplier.id, code: offer.variant_code })}
                      >
                        {t("deleteOffer")}
                      </Button>
                    </Group>
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <LoadMore {...offers} />
      </QueryState>
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing?.offer ? t("editOffer") : t("addOffer")}
        size="lg"
      >
        {editing && (
          <OfferForm
            shopId={shopId}
            supplierId={supplier.id}
            offer={editing.offer}
            code={variant ?? ""}
            onClose={() => setEditing(null)}
          />
        )}
      </Modal>
    </Stack>
  );
}

function ImportReport({ result }: { result: ImportResult }) {
  const t = useSuppliersT();
  return (
    <Alert color={result.rejected.length ? "orange" : "teal"} data-testid="import-result">
      <Stack gap="xs">
        <Text size="sm">
          {t("imported", {
            imported: result.imported,
            created: result.created,
            updated: result.updated,
            rejected: result.rejected.length,
          })}
        </Text>
        {result.rejected.length > 0 && (
          <Table verticalSpacing={2} data-testid="import-rejected">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("rejectedRow")}</Table.Th>
                <Table.Th>{t("rejectedReason")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {result.rejected.map((row) => (
                <Table.Tr key={`${row.row}-${row.reason}`}>
                  <Table.Td>{row.row}</Table.Td>
                  <Table.Td>{row.reason}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
    </Alert>
  );
}

/** A picked file's text (FileReader: Blob.text() is missing in some test DOMs). */
function readText(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result ?? ""));
    reader.onerror = () => reject(reader.error ?? new Error(`Could not read ${file.name}`));
    reader.readAsText(file, "utf-8");
  });
}

function ImportButton({ shopId }: { shopId: number }) {
  const t = useSuppliersT();
  const upload = useImportOffers(shopId);
  const pick = async (file: File | null) => {
    if (!file) return;
    upload.mutate(await readText(file));
  };
  return (
    <Stack gap="xs">
      <FileButton onChange={(file) => void pick(file)} accept=".csv,text/csv">
        {(props) => (
          <Button variant="light" loading={upload.isPending} data-testid="import-offers" {...props}>
            {t("importCsv")}
          </Button>
        )}
      </FileButton>
      {upload.error ? <ErrorNotice error={upload.error} title={t("importFailed")} /> : null}
      {upload.data && <ImportReport result={upload.data} />}
    </Stack>
  );
}

/** The learnt lead time mean ± spread and on-time rate; red when the supplier is late. */
export function DeliveryRecordCell({ record }: { record: Partial<DeliveryRecord> }) {
  const t = useSuppliersT();
  const f = useFormat();
  if (record.learnt_lead_time_days == null || record.on_time_rate == null) {
    return (
      <Text size="sm" c="dimmed">
        {t("noRecord")}
      </Text>
    );
  }
  const late = record.on_time_rate < LATE_RATE || (record.overdue_orders ?? 0) > 0;
  return (
    <Group gap={6} wrap="nowrap" data-testid="delivery-record">
      <Text size="sm">
        {t("learntLeadTime", {
          mean: f.number(record.learnt_lead_time_days, 1),
          sd: f.number(record.learnt_lead_time_sd_days ?? 0, 1),
        })}
      </Text>
      <Badge color={late ? "red" : "green"} variant="light">
        {t("onTime", { rate: f.percent(record.on_time_rate * 100) })}
      </Badge>
      <Text size="xs" c="dimmed">
        {t("deliveries", { n: record.deliveries ?? 0 })}
        {(record.overdue_orders ?? 0) > 0 ? ` · ${t("overdue", { n: record.overdue_orders ?? 0 })}` : ""}
      </Text>
    </Group>
  );
}

// below this on-time rate the planning treats a supplier as late (activities.inventory.supplier_risk)
const LATE_RATE = 0.7;

export function SuppliersPage() {
  const t = useSuppliersT();
  const f = useFormat();
  const shop = useCurrentShop();
  const canManage = useCanManage(shop);
  const [params, update] = useSearchUpdate();
  const list = useSuppliers(shop.id);
  const remove = useDeleteSupplier(shop.id);
  const [form, setForm] = useState<{ supplier: Supplier | null } | null>(null);
  const openId = Number(params.get("supplier")) || null;
  const variant = params.get("variant");
  const open = list.items.find((s) => s.id === openId) ?? (variant ? list.items[0] : undefined) ?? null;
  const removeSupplier = (supplier: Supplier) => {
    if (!window.confirm(t("confirmDelete", { name: supplier.name }))) return;
    remove.mutate(supplier.id, {
      onSuccess: () => {
        notifications.show({ message: t("deleted") });
        if (openId === supplier.id) update({ supplier: null });
      },
      onError: (error) => notifications.show({ color: "red", message: errorMessage(error) }),
    });
  };
  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <Title order={2}>{t("title")}</Title>
        {canManage && (
          <Group align="flex-start">
            <ImportButton shopId={shop.id} />
            <Button onClick={() => setForm({ supplier: null })} data-testid="add-supplier">
              {t("addSupplier")}
            </Button>
          </Group>
        )}
      </Group>
      <Text size="sm" c="dimmed">
        {t("intro")}
      </Text>
      {canManage && (
        <Text size="xs" c="dimmed">
          {t("importHelp")}
        </Text>
      )}
      <QueryState query={list} isEmpty={list.items.length === 0} empty={t("suppliersEmpty")}>
        <Table striped verticalSpacing="xs" data-testid="suppliers-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("name")}</Table.Th>
              <Table.Th>{t("email")}</Table.Th>
              <Table.Th>{t("leadTime")}</Table.Th>
              <Table.Th title={t("deliveryRecordHelp")}>{t("deliveryRecord")}</Table.Th>
              <Table.Th ta="right">{t("orderCost")}</Table.Th>
              <Table.Th ta="right">{t("offers")}</Table.Th>
              {canManage && <Table.Th />}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.items.map((supplier) => (
              <Table.Tr key={supplier.id} data-testid="supplier-row" bg={supplier.id === open?.id ? "blue.0" : undefined}>
                <Table.Td>
                  <LinkButton onClick={() => update({ supplier: String(supplier.id) })}>{supplier.name}</LinkButton>
                </Table.Td>
                <Table.Td>{supplier.email ?? "–"}</Table.Td>
                <Table.Td>
                  {f.number(supplier.lead_time_days, 1)} ± {f.number(supplier.lead_time_sd_days, 1)}
                </Table.Td>
                <Table.Td>
                  <DeliveryRecordCell record={supplier} />
                </Table.Td>
                <Table.Td ta="right">{f.money(supplier.order_cost, supplier.currency)}</Table.Td>
                <Table.Td ta="right">{f.number(supplier.offers)}</Table.Td>
                {canManage && (
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Button size="xs" variant="light" onClick={() => setForm({ supplier })}>
                        {t("editSupplier")}
                      </Button>
                      <Button size="xs" variant="subtle" color="red" onClick={() => removeSupplier(supplier)}>
                        {t("deleteSupplier")}
                      </Button>
                    </Group>
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <LoadMore {...list} />
      </QueryState>
      {open ? (
        <OffersTable
          key={`${open.id}:${variant ?? ""}`}
          shopId={shop.id}
          supplier={open}
          canManage={canManage}
          variant={variant}
        />
      ) : (
        list.items.length > 0 && (
          <Text size="sm" c="dimmed">
            {t("pickSupplier")}
          </Text>
        )
      )}
      <Modal
        opened={form !== null}
        onClose={() => setForm(null)}
        title={form?.supplier ? t("editSupplier") : t("addSupplier")}
      >
        {form && <SupplierForm shopId={shop.id} supplier={form.supplier} onClose={() => setForm(null)} />}
      </Modal>
    </Stack>
  );
}
