/** What to order: variant, quantity, supplier, order-by date and expected cost, soonest first,
 * in cursor pages; the same list as a streamed CSV download. Managers select lines and, after a
 * confirmation that shows one order per supplier with its total, turn them into purchase
 * orders. Lines already on an open order say so; lines no supplier offers cannot be ordered
 * and link to the Suppliers page instead. */

import { Anchor, Badge, Button, Checkbox, Group, List, Modal, Stack, Table, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import { Link } from "react-router-dom";

import {
  recommendationsCsvUrl,
  useCreatePurchaseOrders,
  useRecommendations,
  type Recommendation,
} from "../../api/inventory";
import { LinkButton } from "../../components/LinkButton";
import { LoadMore } from "../../components/LoadMore";
import { ErrorNotice, QueryState } from "../../components/QueryState";
import { useFormat } from "../../i18n/locale";
import { useInventoryPlural, useInventoryT } from "./messages";

/** The chosen lines as the orders they become: one per supplier, with lines and total. */
export function ordersBySupplier(lines: Recommendation[]) {
  const groups = new Map<number, { supplier: string; currency: string; lines: number; total: number }>();
  for (const line of lines) {
    if (line.supplier_id === null) continue;
    const group = groups.get(line.supplier_id) ?? {
      supplier: line.supplier_name ?? String(line.supplier_id),
      currency: line.currency,
      lines: 0,
      total: 0,
    };
    group.lines += 1;
    group.total += Number(line.purchase_cost ?? 0);
    groups.set(line.supplier_id, group);
  }
  return [...groups.values()];
}

function ConfirmOrders({
  lines,
  opened,
  pending,
  onConfirm,
  onClose,
}: {
  lines: Recommendation[];
  opened: boolean;
  pending: boolean;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const t = useInventoryT();
  const plural = useInventoryPlural();
  const f = useFormat();
  return (
    <Modal opened={opened} onClose={onClose} title={t("confirmTitle")} size="lg">
      <Stack data-testid="confirm-orders">
        <Text size="sm">{t("confirmIntro")}</Text>
        <List size="sm">
          {ordersBySupplier(lines).map((group) => (
            <List.Item key={group.supplier} data-testid="confirm-order">
              {plural("confirmSupplier", group.lines, f.number(group.lines), {
                supplier: group.supplier,
                total: f.money(group.total, group.currency),
              })}
            </List.Item>
          ))}
        </List>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t("confirmBack")}
          </Button>
          <Button onClick={onConfirm} loading={pending} data-testid="confirm-create">
            {t("confirmCreate")}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** The supplier's learnt on-time rate and, when the primary supplier is late, overdue, out of
 * stock or over budget, the alternative proposed (or taken). */
export function SupplierRisk({ line }: { line: Recommendation }) {
  const t = useInventoryT();
  const f = useFormat();
  const rate = line.on_time_rate == null ? null : f.percent(line.on_time_rate * 100);
  const vars = {
    primary: line.primary_supplier_name ?? "?",
    alternative: line.alternative_supplier_name ?? "?",
    rate: rate ?? "?",
  };
  const switched = line.alternative_supplier_id != null && line.alternative_supplier_id === line.supplier_id;
  return (
    <>
      {line.supplier_name}
      {rate !== null && (
        <Text size="xs" c="dimmed">
          {t("onTimeRate", { rate, sd: f.number(line.lead_time_sd_days ?? 0, 1) })}
        </Text>
      )}
      {line.alternative_reason && (
        <Badge
          color={switched ? "blue" : "orange"}
          variant="light"
          size="sm"
          style={{ whiteSpace: "normal", height: "auto" }}
          data-testid="alternative-badge"
        >
          {t(`alternative.${line.alternative_reason}`, vars)}
        </Badge>
      )}
    </>
  );
}

export function RecommendationsTable({
  shopId,
  onOpen,
  canOrder = false,
}: {
  shopId: number;
  onOpen: (code: string) => void;
  canOrder?: boolean;
}) {
  const t = useInventoryT();
  const plural = useInventoryPlural();
  const f = useFormat();
  const list = useRecommendations(shopId);
  const create = useCreatePurchaseOrders(shopId);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [confirming, setConfirming] = useState(false);
  // a purchase order needs a supplier: lines nobody offers are not orderable
  const orderable = list.items.filter((line) => !line.purchase_order_id && line.supplier_id !== null);
  const chosenLines = orderable.filter((line) => selected.has(line.id));
  const chosen = chosenLines.map((line) => line.id);
  const toggle = (id: number, on: boolean) =>
    setSelected((previous) => {
      const next = new Set(previous);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  const allChosen = orderable.length > 0 && chosen.length === orderable.length;
  const submit = () =>
    create.mutate(chosen, {
      onSuccess: (answer) => {
        setSelected(new Set());
        notifications.show({
          message: plural("ordersCreated", answer.items.length, f.number(answer.items.length)),
        });
      },
      onSettled: () => setConfirming(false),
    });
  return (
    <>
      <Group justify="space-between" mb="sm">
        {canOrder ? (
          <Button
            onClick={() => setConfirming(true)}
            disabled={chosen.length === 0}
            loading={create.isPending}
            data-testid="create-purchase-orders"
          >
            {t("createOrders", { count: f.number(chosen.length) })}
          </Button>
        ) : (
          <span />
        )}
        <Button component="a" href={recommendationsCsvUrl(shopId)} download variant="light" data-testid="export-csv">
          {t("exportCsv")}
        </Button>
      </Group>
      <ConfirmOrders
        lines={chosenLines}
        opened={confirming}
        pending={create.isPending}
        onConfirm={submit}
        onClose={() => setConfirming(false)}
      />
      {create.error ? <ErrorNotice error={create.error} title={t("createOrdersFailed")} /> : null}
      <QueryState query={list} isEmpty={list.items.length === 0} empty={t("recommendationsEmpty")}>
        <Table striped verticalSpacing="xs" data-testid="recommendations-table">
          <Table.Thead>
            <Table.Tr>
              {canOrder && (
                <Table.Th w={36}>
                  <Checkbox
                    aria-label={t("selectAll")}
                    checked={allChosen}
                    indeterminate={chosen.length > 0 && !allChosen}
                    disabled={orderable.length === 0}
                    onChange={(event) =>
                      setSelected(new Set(event.currentTarget.checked ? orderable.map((line) => line.id) : []))
                    }
                  />
                </Table.Th>
              )}
              <Table.Th>{t("variant")}</Table.Th>
              <Table.Th ta="right">{t("quantity")}</Table.Th>
              <Table.Th>{t("supplier")}</Table.Th>
              <Table.Th>{t("orderBy")}</Table.Th>
              <Table.Th ta="right">{t("unitPrice")}</Table.Th>
              <Table.Th ta="right">{t("expectedCost")}</Table.Th>
              <Table.Th ta="right">{t("onHand")}</Table.Th>
              <Table.Th ta="right">{t("onOrder")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.items.map((line) => (
              <Table.Tr key={line.id} data-testid="recommendation-row">
                {canOrder && (
                  <Table.Td>
                    <Checkbox
                      aria-label={t("selectLine", { code: line.variant_code })}
                      checked={!line.purchase_order_id && line.supplier_id !== null && selected.has(line.id)}
                      disabled={Boolean(line.purchase_order_id) || line.supplier_id === null}
                      onChange={(event) => toggle(line.id, event.currentTarget.checked)}
                    />
                  </Table.Td>
                )}
                <Table.Td>
                  <LinkButton onClick={() => onOpen(line.variant_code)} detail={line.variant_name}>
                    {line.variant_code}
                  </LinkButton>
                </Table.Td>
                <Table.Td ta="right">
                  {f.number(line.quantity)}
                  {line.packs !== null && (
                    <Text size="xs" c="dimmed">
                      {t("packs", { packs: f.number(line.packs) })}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  {line.supplier_name ? (
                    <SupplierRisk line={line} />
                  ) : (
                    <Group gap={4} wrap="nowrap">
                      <Badge color="orange" variant="light" title={t("noSupplierHint")}>
                        {t("noSupplier")}
                      </Badge>
                      <Anchor
                        component={Link}
                        to={`/shops/${shopId}/suppliers?variant=${encodeURIComponent(line.variant_code)}`}
                        size="xs"
                        data-testid="add-offer-link"
                      >
                        {t("addOffer")}
                      </Anchor>
                    </Group>
                  )}
                </Table.Td>
                <Table.Td>{f.date(line.order_by)}</Table.Td>
                <Table.Td ta="right">{f.money(line.unit_price, line.currency)}</Table.Td>
                <Table.Td ta="right">{f.money(line.expected_cost, line.currency)}</Table.Td>
                <Table.Td ta="right">{f.number(line.on_hand)}</Table.Td>
                <Table.Td ta="right">
                  {line.on_order !== undefined && Number(line.on_order) > 0 ? f.number(line.on_order) : "–"}
                  {line.purchase_order_id ? (
                    <Badge ml="xs" color="teal" variant="light" data-testid="ordered-badge">
                      {t("ordered", { id: line.purchase_order_id })}
                    </Badge>
                  ) : null}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <LoadMore {...list} />
      </QueryState>
    </>
  );
}
