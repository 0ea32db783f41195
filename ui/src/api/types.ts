/** Shapes of the HTTP API (docs/api-contract.md). Times are ISO strings, money decimal strings. */

export type Locale = "cs" | "en";

export type Page<T> = { items: T[]; next_cursor: string | null };

export type ShopBrief = { id: number; name: string; eshop_id: number; role: string };

export type Me = {
  id: number;
  email: string;
  display_name: string;
  role: "admin" | "member";
  locale: Locale;
  shops: ShopBrief[];
};

export type SyncState = { resource: string; last_success_at: string | null; last_error: string | null };

export type Shop = {
  id: number;
  eshop_id: number;
  name: string;
  url: string | null;
  status: string;
  role: string;
  installed_at: string | null;
  token_expires_at: string | null;
  token_refreshed_at: string | null;
  last_sync_at: string | null;
  sync: SyncState[];
};

export type ShopCounts = { orders: number; customers: number; products: number };

export const SNAPSHOT_RESOURCES = ["orders", "products", "customers"] as const;
export type SnapshotResource = (typeof SNAPSHOT_RESOURCES)[number];

export const RUN_STATUSES = [
  "pending",
  "running",
  "completed",
  "completed_with_rejects",
  "failed",
  "cancelled",
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export type SnapshotRun = {
  id: number;
  shop_id: number;
  resource: SnapshotResource;
  workflow_id: string;
  temporal_url: string | null;
  status: RunStatus;
  phase: "requested" | "waiting" | "downloading" | "ingesting" | "done";
  trigger: string;
  job_id: string | null;
  total_lines: number | null;
  processed_lines: number;
  rows_upserted: number;
  rejected_lines: number;
  rate_lines_per_s: number | string | null;
  eta_seconds: number | string | null;
  percent: number | null;
  attempt: number;
  retry_of: number | null;
  error: string | null;
  requested_at: string;
  started_at: string | null;
  finished_at: string | null;
};

export type SnapshotReject = { line_no: number; raw: string; reason: string; created_at: string };

export const WEBHOOK_STATUSES = ["received", "dispatched", "duplicate", "rejected", "failed"] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

export type WebhookEvent = {
  id: number;
  event: string | null;
  event_instance: string | null;
  event_created: string | null;
  status: WebhookStatus;
  reason: string | null;
  received_at: string;
  raw_body: string;
};

export type OrderRow = {
  code: string;
  created_at: string;
  status_id: number | null;
  status_name: string | null;
  billing_name: string | null;
  email: string | null;
  total_with_vat: string;
  currency: string;
  paid: boolean | null;
  item_count: number;
  channel: SalesChannel;
};

export type OrderItem = {
  item_id: number;
  item_type: string;
  code: string | null;
  name: string;
  variant_name: string | null;
  amount: string;
  unit_price_with_vat: string | null;
  price_with_vat: string;
  vat_rate: string | null;
};

export type Order = OrderRow & {
  items: OrderItem[];
  [field: string]: unknown;
};

export type OrderStatus = { id: number; name: string; count: number };

export type OrderFilters = {
  created_from?: string;
  created_to?: string;
  status_id?: number;
  q?: string;
  channel?: SalesChannel;
};

/** Where an order was sold (the API's `channel`). */
export const SALES_CHANNELS = ["shoptet", "woocommerce", "b2b"] as const;
export type SalesChannel = (typeof SALES_CHANNELS)[number];

export type SettingType = "int" | "float" | "bool" | "str" | "json";

export type SettingUnit =
  | "days" | "minutes" | "weeks" | "rows" | "lines" | "orders" | "customers" | "variants" | "shops"
  | "runs" | "notifications" | "share" | "money" | "";

export type Setting = {
  key: string;
  value: unknown;
  default: unknown;
  description: string;
  type: SettingType;
  /** The page's group; older APIs send none and the page then shows one group. */
  area?: string;
  unit?: SettingUnit;
  label?: Partial<Record<Locale, string>>;
  help?: Partial<Record<Locale, string>>;
  minimum?: number | null;
  maximum?: number | null;
  choices?: string[];
};

export type NotificationLevel = "info" | "warning" | "critical";

export type Notification = {
  id: number;
  shop_id: number | null;
  level: NotificationLevel;
  kind: string;
  title: string;
  body: string | null;
  data: Record<string, unknown>;
  created_at: string;
  read_at: string | null;
};

export type ApiTokenState = "active" | "expired" | "revoked";

export type ApiToken = {
  id: number;
  name: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  state: ApiTokenState;
};

/** The answer to creating a token: the only time the token itself is shown. */
export type NewApiToken = { id: number; name: string; token: string; expires_at: string | null };

export type AuditEvent = {
  id: number;
  at: string;
  action: string;
  success: boolean;
  user_id: number | null;
  actor_email: string | null;
  ip: string | null;
  detail: Record<string, unknown>;
};
