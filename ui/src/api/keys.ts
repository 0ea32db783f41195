/** Every query key of the app, from one factory, so invalidation can name a whole resource. */

import type { AtRiskFilters } from "./customers";
import type { AnomalyFilters, PurchaseOrderStatus } from "./inventory";
import type { OrderFilters, RunStatus, SnapshotResource, WebhookStatus } from "./types";

export type RunFilters = { status?: RunStatus; resource?: SnapshotResource };
export type NotificationFilters = { unread?: boolean };
export type AuditFilters = { action?: string };

export const keys = {
  me: () => ["me"] as const,
  shops: {
    all: () => ["shops"] as const,
    detail: (shopId: number) => ["shops", shopId] as const,
    counts: (shopId: number) => ["shops", shopId, "counts"] as const,
  },
  snapshotRuns: {
    all: () => ["snapshot-runs"] as const,
    list: (shopId: number, filters: RunFilters) => ["snapshot-runs", "list", shopId, filters] as const,
    detail: (runId: number) => ["snapshot-runs", "detail", runId] as const,
    rejects: (runId: number) => ["snapshot-runs", "rejects", runId] as const,
  },
  webhookEvents: {
    list: (shopId: number, status: WebhookStatus | undefined) =>
      ["webhook-events", shopId, { status }] as const,
  },
  orders: {
    all: (shopId: number) => ["orders", shopId] as const,
    list: (shopId: number, filters: OrderFilters) => ["orders", shopId, "list", filters] as const,
    detail: (shopId: number, code: string) => ["orders", shopId, "detail", code] as const,
    statuses: (shopId: number) => ["orders", shopId, "statuses"] as const,
  },
  customers: {
    all: (shopId: number) => ["customers", shopId] as const,
    segments: (shopId: number) => ["customers", shopId, "segments"] as const,
    atRisk: (shopId: number, filters: AtRiskFilters) => ["customers", shopId, "at-risk", filters] as const,
    detail: (shopId: number, key: string) => ["customers", shopId, "detail", key] as const,
    reports: (shopId: number) => ["customers", shopId, "reports"] as const,
    analysis: (shopId: number) => ["customers", shopId, "analysis"] as const,
    priceSensitivity: (shopId: number, scope: string) => ["customers", shopId, "price-sensitivity", scope] as const,
  },
  inventory: {
    all: (shopId: number) => ["inventory", shopId] as const,
    run: (shopId: number) => ["inventory", shopId, "run"] as const,
    recommendations: (shopId: number) => ["inventory", shopId, "recommendations"] as const,
    forecast: (shopId: number, code: string) => ["inventory", shopId, "forecast", code] as const,
    anomalies: (shopId: number, filters: AnomalyFilters) => ["inventory", shopId, "anomalies", filters] as const,
    accuracy: (shopId: number) => ["inventory", shopId, "accuracy"] as const,
    purchaseOrders: (shopId: number, status?: PurchaseOrderStatus) =>
      ["inventory", shopId, "purchase-orders", ...(status ? [{ status }] : [])] as const,
  },
  channels: {
    all: (shopId: number) => ["channels", shopId] as const,
    list: (shopId: number) => ["channels", shopId, "list"] as const,
    status: (shopId: number, connectionId: number) => ["channels", shopId, "status", connectionId] as const,
    oversold: (shopId: number) => ["channels", shopId, "oversold"] as const,
    orders: (shopId: number) => ["channels", shopId, "orders"] as const,
    sales: (shopId: number, period: object) => ["channels", shopId, "sales", period] as const,
    feeds: (shopId: number) => ["channels", shopId, "feeds"] as const,
    resellers: (shopId: number) => ["channels", shopId, "resellers"] as const,
  },
  suppliers: {
    all: (shopId: number) => ["suppliers", shopId] as const,
    list: (shopId: number) => ["suppliers", shopId, "list"] as const,
    offers: (shopId: number, supplierId: number) => ["suppliers", shopId, "offers", supplierId] as const,
  },
  settings: {
    app: () => ["settings", "app"] as const,
    shop: (shopId: number) => ["settings", "shop", shopId] as const,
  },
  monitoring: {
    report: () => ["monitoring"] as const,
  },
  apiTokens: () => ["api-tokens"] as const,
  auditEvents: (filters: AuditFilters) => ["audit-events", filters] as const,
  notifications: {
    all: () => ["notifications"] as const,
    list: (filters: NotificationFilters) => ["notifications", "list", filters] as const,
    unread: () => ["notifications", "unread"] as const,
  },
};

/** Keys of the reports, notification preferences and usage (issue 19). */
export const reportKeys = {
  all: (shopId: number) => ["reports", shopId] as const,
  detail: (shopId: number, id: number, lang: string) => ["reports", shopId, id, lang] as const,
  preferences: () => ["notifications", "preferences"] as const,
  usage: (shopId: number) => ["usage", shopId] as const,
  allUsage: () => ["usage", "all"] as const,
};
