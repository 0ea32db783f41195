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
from db.models.customers import (
    Customer,
    CustomerItemRule,
    CustomerMetric,
    CustomerModelReport,
    CustomerRunMergedOrder,
    CustomerRunSummary,
)
from db.models.inventory import (
    InventoryAnomaly,
    InventoryForecast,
    InventoryRecommendation,
    InventoryRun,
    InventoryVariantMetric,
    PurchaseOrder,
    PurchaseOrderLine,
    StockHistory,
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
from db.models.safety import Backup, IntegrityFinding, IntegrityRun, PitrBaseBackup
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
    "CheckState",
    "Customer",
    "CustomerItemRule",
    "CustomerMetric",
    "CustomerModelReport",
    "CustomerRunMergedOrder",
    "CustomerRunSummary",
    "ErrorGroup",
    "ErrorMinute",
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
    "Product",
    "ProductTranslation",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "Shop",
    "ShopMembership",
    "SnapshotReject",
    "SnapshotRun",
    "StatementSample",
    "StatementTotal",
    "Stock",
    "StockHistory",
    "StockLevel",
    "Supplier",
    "SupplierOffer",
    "SyncCursor",
    "SyncReject",
    "TableSize",
    "User",
    "UserSession",
    "Variant",
    "WebhookEvent",
]
