"""All SQLAlchemy models; importing this module registers every table on `Base.metadata`."""

from db.models.base import Base
from db.models.catalog import (
    Product,
    ProductTranslation,
    Stock,
    StockLevel,
    Supplier,
    SupplierOffer,
    Variant,
)
from db.models.channels import (
    ChannelConnection,
    ChannelListing,
    ChannelStock,
    StockReservation,
)
from db.models.customers import (
    Customer,
    CustomerItemRule,
    CustomerMetric,
    CustomerModelReport,
    CustomerRunMergedOrder,
    CustomerRunSummary,
    ProductElasticity,
)
from db.models.exports import Export
from db.models.feeds import ShopFeed
from db.models.inventory import (
    InventoryAnomaly,
    InventoryForecast,
    InventoryRecommendation,
    InventoryRun,
    InventoryVariantMetric,
    Promotion,
    PurchaseOrder,
    PurchaseOrderLine,
    StockHistory,
    WeatherDay,
)
from db.models.locks import LockFence
from db.models.maintenance import (
    ArchiveHold,
    LegacyMigration,
    LegacyMigrationChange,
    MaintenanceRun,
    PartitionMove,
)
from db.models.monitoring import (
    Alert,
    CheckState,
    ErrorGroup,
    ErrorMinute,
    LatencyMinute,
    StatementSample,
    StatementTotal,
    TableSize,
)
from db.models.notifications import Notification
from db.models.orders import Order, OrderItem
from db.models.outbound_webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from db.models.resellers import PriceList, PriceListItem, Reseller, ResellerKey, ResellerOrder
from db.models.safety import Backup, IntegrityFinding, IntegrityRun, PitrBaseBackup
from db.models.search import SearchEntry, SearchWord
from db.models.settings import AppSetting
from db.models.shops import Installation, Shop
from db.models.snapshots import SnapshotReject, SnapshotRun
from db.models.sync import SyncCursor, SyncReject
from db.models.users import ApiToken, AuditEvent, ShopMembership, User, UserSession
from db.models.webhooks import WebhookEvent

__all__ = [
    "Alert",
    "ApiToken",
    "AppSetting",
    "ArchiveHold",
    "AuditEvent",
    "Backup",
    "Base",
    "ChannelConnection",
    "ChannelListing",
    "ChannelStock",
    "CheckState",
    "Customer",
    "CustomerItemRule",
    "CustomerMetric",
    "CustomerModelReport",
    "CustomerRunMergedOrder",
    "CustomerRunSummary",
    "ErrorGroup",
    "ErrorMinute",
    "Export",
    "Installation",
    "IntegrityFinding",
    "IntegrityRun",
    "InventoryAnomaly",
    "InventoryForecast",
    "InventoryRecommendation",
    "InventoryRun",
    "InventoryVariantMetric",
    "LatencyMinute",
    "LegacyMigration",
    "LegacyMigrationChange",
    "LockFence",
    "MaintenanceRun",
    "Notification",
    "Order",
    "OrderItem",
    "PartitionMove",
    "PitrBaseBackup",
    "PriceList",
    "PriceListItem",
    "Product",
    "ProductTranslation",
    "Promotion",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "Reseller",
    "ResellerKey",
    "ResellerOrder",
    "SearchEntry",
    "SearchWord",
    "Shop",
    "ShopFeed",
    "ShopMembership",
    "SnapshotReject",
    "SnapshotRun",
    "StatementSample",
    "StatementTotal",
    "Stock",
    "StockHistory",
    "StockLevel",
    "StockReservation",
    "Supplier",
    "SupplierOffer",
    "SyncCursor",
    "SyncReject",
    "TableSize",
    "User",
    "UserSession",
    "Variant",
    "WeatherDay",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]

# notifications delivery, reports and metering (issue 19)
from db.models.mail import OutgoingMail, OutgoingMailAttachment
from db.models.metering import UsageBudget, UsageDay
from db.models.notifications import (
    NotificationChannel,
    NotificationDelivery,
    NotificationPreference,
)
from db.models.reports import Report

__all__ += [
    "NotificationChannel",
    "NotificationDelivery",
    "NotificationPreference",
    "OutgoingMail",
    "OutgoingMailAttachment",
    "ProductElasticity",
    "Report",
    "UsageBudget",
    "UsageDay",
]
