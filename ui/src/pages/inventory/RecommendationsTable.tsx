/** What to order: variant, quantity, supplier, order-by date and expected cost, soonest first,
 * in cursor pages; the same list as a streamed CSV download. Managers select lines and turn them
 * into purchase orders (one per supplier); lines already on an open order say so. */

import { Badge, Button, Checkbox, Group, Table, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState } from "react";

import { recommendationsCsvUrl, useCreatePurchaseOrders, useRecommendations } from "../../api/inventory";
import { LinkButton } from "../../components/LinkButton";
import { LoadMore } from "../../components/LoadMore";
import { ErrorNotice, QueryState } from "../../components/QueryState";
import { useFormat } from "../../i18n/locale";
import { useInventoryT } from "./messages";

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
  const f = useFormat();
  const list = useRecommendations(shopId);
  const create = useCreatePurchaseOrders(shopId);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const orderable = list.items.filter((line) => !line.purchase_order_id);
  const chosen = orderable.filter((line) => selected.has(line.id)).map((line) => line.id);
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
        notifications.show({ message: t("ordersCreated", { count: f.number(answer.items.length) }) });
      },
    });
  return (
    <>
      <Group justify="space-between" mb="sm">
        {canOrder ? (
          <Button
            onClick={submit}
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
                      checked={!line.purchase_order_id && selected.has(line.id)}
                      disabled={Boolean(line.purchase_order_id)}
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
                  {line.supplier_name ?? (
                    <Badge color="orange" variant="light" title={line.note ?? undefined}>
                      {t("noSupplier")}
                    </Badge>
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
