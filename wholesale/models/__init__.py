"""The domain of DESIGN.md as SQLAlchemy models, one module per idea."""

from .catalog import ClosedDate, Product, ProductOption, ShippingOption, Variant
from .customers import Contact, Customer, CustomerEvent, CustomerPrice
from .invoicing import Invoice, InvoiceLine, InvoiceSequence, OverdueReminder, Payment, PaymentAllocation
from .orders import CHANNELS, STATUSES, Order, OrderEvent, OrderLine
from .outbox import Email, ReminderSend
from .production import ProductionRun
from .settings import Logo, Setting, SettingChange
from .staff import StaffUser
from .standing import StandingDelivery, StandingOrder, StandingOrderLine
from .types import utcnow

__all__ = [
    "CHANNELS",
    "STATUSES",
    "ClosedDate",
    "Contact",
    "Customer",
    "CustomerEvent",
    "CustomerPrice",
    "Email",
    "Invoice",
    "InvoiceLine",
    "InvoiceSequence",
    "Logo",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OverdueReminder",
    "Payment",
    "PaymentAllocation",
    "Product",
    "ProductOption",
    "ProductionRun",
    "ReminderSend",
    "Setting",
    "SettingChange",
    "ShippingOption",
    "StaffUser",
    "StandingDelivery",
    "StandingOrder",
    "StandingOrderLine",
    "Variant",
    "utcnow",
]
