/** "Export" on the orders page: the orders as filtered now, as CSV or XLSX, then the Exports page. */

import { Button, Menu } from "@mantine/core";
import { useNavigate } from "react-router-dom";

import { useStartExport, type ExportFormat } from "../../api/exports";
import type { OrderFilters } from "../../api/types";
import { useT } from "../../i18n/locale";

export function ExportOrdersButton({ shopId, filters }: { shopId: number; filters: OrderFilters }) {
  const t = useT();
  const navigate = useNavigate();
  const start = useStartExport(shopId);
  const run = (format: ExportFormat) =>
    start.mutate(
      { kind: "orders", format, filters },
      { onSuccess: () => navigate(`/shops/${shopId}/exports`) },
    );
  return (
    <Menu position="bottom-end">
      <Menu.Target>
        <Button variant="light" size="xs" loading={start.isPending} data-testid="export-orders">
          {t("exports.exportButton")}
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Item onClick={() => run("csv")}>CSV</Menu.Item>
        <Menu.Item onClick={() => run("xlsx")}>XLSX (Excel)</Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
