"""SQLAlchemy models, one module per table."""

from finops.kit.db import Base
from finops.models.alert import Alert
from finops.models.alert_channel import AlertChannel
from finops.models.alert_delivery import AlertDelivery
from finops.models.audit_entry import AuditEntry
from finops.models.budget import Budget
from finops.models.budget_reservation import BudgetReservation
from finops.models.catalog_state import CatalogState
from finops.models.cost_rollup import CostRollup
from finops.models.delivery_attempt import DeliveryAttempt
from finops.models.price import Price
from finops.models.price_model import PriceModel
from finops.models.pricing_sync_run import PricingSyncRun
from finops.models.tenant_rate import TenantRate
from finops.models.usage_event import UsageEvent

__all__ = [
    "Alert",
    "AlertChannel",
    "AlertDelivery",
    "AuditEntry",
    "Base",
    "Budget",
    "BudgetReservation",
    "CatalogState",
    "CostRollup",
    "DeliveryAttempt",
    "Price",
    "PriceModel",
    "PricingSyncRun",
    "TenantRate",
    "UsageEvent",
]
