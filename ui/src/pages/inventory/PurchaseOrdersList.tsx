/** Purchase orders placed from the recommendations (or by hand), open ones first: supplier,
 * ordered and expected dates, lines and total; managers receive everything still outstanding or
 * cancel the order. Their open lines count as stock on order in the next night's planning. */

import { Anchor, Badge, Button, Group, SegmentedControl, Stack, Table, Text } from "@mantine/core";

import {
  PURCHASE_ORDER_STATUSES,
  purchaseOrderFileUrl,
  useEmailPurchaseOrder,
  usePurchaseOrderAction,
  usePurchaseOrders,
  type PurchaseOrder,
  type PurchaseOrderStatus,
} from "../../api/inventory";
import { errorMessage } from "../../api/client";
import { LoadMore } from "../../components/LoadMore";
import { ErrorNotice, QueryState } from "../../components/QueryState";
import { useFormat, useLocale } from "../../i18n/locale";
import { useInventoryT, type InventoryMessageKey } from "./messages";

/** Download the order as PDF or CSV; with the supplier's address, have shopops e-mail it (when
 * the deployment sends e-mail; otherwise its refusal says so) or open a prefilled e-mail. */
function SendLinks({ shopId, order }: { shopId: number; order: PurchaseOrder }) {
  const t = useInventoryT();
  const f = useFormat();
  const { locale } = useLocale();
  const send = useEmailPurchaseOrder(shopId);
  const subject = encodeURIComponent(`${t("tabPurchaseOrders")} PO-${order.id}`);
  return (
    <Group gap="xs" wrap="nowrap" data-testid="purchase-order-files">
      <Anchor href={purchaseOrderFileUrl(shopId, order.id, "pdf", locale)} download size="sm">
        {t("downloadPdf")}
      </Anchor>
      <Anchor href={purchaseOrderFileUrl(shopId, order.id, "csv")} download size="sm">
        {t("downloadCsv")}
      </Anchor>
      {order.supplier_email && order.status !== "cancelled" && (
        <Button size="compact-xs" variant="light" loading={send.isPending} onClick={() => send.mutate({ id: order.id, lang: locale })}>
          {t("sendBySupplierEmail")}
        </Button>
      )}
      {order.supplier_email && (
        <Anchor href={`mailto:${order.supplier_email}?subject=${subject}`} size="sm" title={t("emailNote")}>
          {t("emailSupplier")}
        </Anchor>
      )}
      {order.emailed_at && (
        <Text size="xs" c="dimmed">
          {t("emailedAt", { when: f.dateTime(order.emailed_at), to: order.emailed_to ?? "" })}
        </Text>
      )}
      {send.isSuccess && !order.emailed_at && (
        <Text size="xs" c="dimmed">
          {t("emailQueued")}
        </Text>
      )}
      {send.error && (
        <Text size="xs" c="red">
          {errorMessage(send.error)}
        </Text>
      )}
    </Group>
  );
}

const STATUS_COLOR: Record<PurchaseOrderStatus, string> = { open: "blue", received: "teal", cancelled: "gray" };

function Lines({ order }: { order: PurchaseOrder }) {
  const f = useFormat();
  return (
    <Stack gap={0}>
      {order.lines.map((line) => (
        <Text key={line.id} size="sm">
          {line.variant_code} × {f.number(line.quantity)}
          {Number(line.received_quantity) > 0 && (
            <Text span size="xs" c="dimmed">
              {" "}
              ({f.number(line.received_quantity)} ✓)
            </Text>
          )}
        </Text>
      ))}
    </Stack>
  );
}

export function PurchaseOrdersList({
  shopId,
  status,
  onStatus,
  canManage,
}: {
  shopId: number;
  status: PurchaseOrderStatus;
  onStatus: (status: PurchaseOrderStatus) => void;
  canManage: boolean;
}) {
  const t = useInventoryT();
  const f = useFormat();
  const list = usePurchaseOrders(shopId, status);
  const action = usePurchaseOrderAction(shopId);
  const busy = (id: number, name: "receive" | "cancel") =>
    action.isPending && action.variables?.id === id && action.variables.action === name;
  return (
    <Stack>
      <SegmentedControl
        w="fit-content"
        value={status}
        onChange={(value) => onStatus(value as PurchaseOrderStatus)}
        data={PURCHASE_ORDER_STATUSES.map((value) => ({
          value,
          label: t(`poStatus.${value}` as InventoryMessageKey),
        }))}
      />
      {action.error ? <ErrorNotice error={action.error} title={t("orderActionFailed")} /> : null}
      <Text size="xs" c="dimmed">
        {t("emailNote")}
      </Text>
      <QueryState query={list} isEmpty={list.items.length === 0} empty={t("ordersEmpty")}>
        <Table striped verticalSpacing="xs" data-testid="purchase-orders-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>#</Table.Th>
              <Table.Th>{t("supplier")}</Table.Th>
              <Table.Th>{t("orderedAt")}</Table.Th>
              <Table.Th>{t("expectedAt")}</Table.Th>
              <Table.Th>{t("lines")}</Table.Th>
              <Table.Th ta="right">{t("total")}</Table.Th>
              <Table.Th>{t("status")}</Table.Th>
              <Table.Th />
              {canManage && <Table.Th />}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.items.map((order) => (
              <Table.Tr key={order.id} data-testid="purchase-order-row">
                <Table.Td>{order.id}</Table.Td>
                <Table.Td>{order.supplier_name ?? t("noSupplier")}</Table.Td>
                <Table.Td>{f.date(order.ordered_at)}</Table.Td>
                <Table.Td>{order.expected_at ? f.date(order.expected_at) : "–"}</Table.Td>
                <Table.Td>
                  <Lines order={order} />
                </Table.Td>
                <Table.Td ta="right">{f.money(order.total_cost, order.currency)}</Table.Td>
                <Table.Td>
                  <Badge color={STATUS_COLOR[order.status]} variant="light">
                    {t(`poStatus.${order.status}` as InventoryMessageKey)}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <SendLinks shopId={shopId} order={order} />
                </Table.Td>
                {canManage && (
                  <Table.Td>
                    {order.status === "open" && (
                      <Group gap="xs" wrap="nowrap">
                        <Button
                          size="xs"
                          variant="light"
                          loading={busy(order.id, "receive")}
                          disabled={action.isPending}
                          onClick={() => action.mutate({ id: order.id, action: "receive" })}
                        >
                          {t("receive")}
                        </Button>
                        <Button
                          size="xs"
                          variant="subtle"
                          color="red"
                          loading={busy(order.id, "cancel")}
                          disabled={action.isPending}
                          onClick={() => action.mutate({ id: order.id, action: "cancel" })}
                        >
                          {t("cancelOrder")}
                        </Button>
                      </Group>
                    )}
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <LoadMore {...list} />
      </QueryState>
    </Stack>
  );
}
