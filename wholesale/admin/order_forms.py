"""Forms of the staff order pages. Each carries the order's version, so an edit is made against what was shown.

CSRF is checked for every POST by CSRFProtect (htmx sends the token in a header), so these forms do not
check it twice.
"""

from __future__ import annotations

import re
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ..converters import parse_id
from ..forms import (
    AddLineFields,
    CalendarDateField,
    IdField,
    LineEditFields,
    MoneyField,
    PercentField,
    clean_text,
    form_message,
    version_seen,
)
from ..services.orders import idempotency, minimums
from ..services.orders.adjustments import NOTES_MAX, REASON_MAX, SHIPPING_NOT_LISTED, OrderAdjustments
from ..services.orders.queries import OrderSearch
from ..services.orders.staff_orders import CUSTOMER_NOT_LISTED

DATE_MESSAGE = "Enter a date like 2025-03-14."


class VersionField(HiddenField):
    """The order version the page showed. Missing or garbled reads as 0, which no order has: out of date."""

    def process_formdata(self, valuelist):
        self.data = version_seen(valuelist[0] if valuelist else "")


class _OrderForm(FlaskForm):
    class Meta:
        csrf = False

    version = VersionField()

    @property
    def seen_version(self) -> int:
        return self.version.data or 0

    def message(self) -> str:
        return form_message(self)


class LineForm(LineEditFields, _OrderForm):
    pass


class LinePriceForm(_OrderForm):
    unit_price = MoneyField("Unit price ($)", validators=[InputRequired("Enter the unit price.")])
    price_override_reason = StringField(
        "Reason",
        filters=[clean_text],
        validators=[Length(max=REASON_MAX, message=f"Use at most {REASON_MAX} characters.")],
    )


class AddLineForm(AddLineFields, _OrderForm):
    pass


def _zero_if_empty(value):
    return Decimal("0") if value is None else value


class _OptionalDateField(DateField):
    """A date or nothing; anything else is a clear message (not the default 'Not a valid date value')."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            super().process_formdata([valuelist[0].strip()])
        except ValueError:
            self.data = None
            raise ValueError(DATE_MESSAGE) from None


class DetailsForm(_OrderForm):
    shipping_option_id = IdField("Shipping", validators=[Optional()], message=SHIPPING_NOT_LISTED)
    shipping_fee = MoneyField("Shipping fee ($)")
    discount_percent = PercentField("Discount (%)", filters=[_zero_if_empty])
    discount_amount = MoneyField("Discount amount ($)", filters=[_zero_if_empty])
    roast_date = _OptionalDateField("Roast date", validators=[Optional()])
    delivery_date = _OptionalDateField("Delivery date", validators=[Optional()])
    notes = TextAreaField(
        "Notes",
        filters=[clean_text],
        validators=[Length(max=NOTES_MAX, message=f"Use at most {NOTES_MAX:,} characters.")],
    )

    def adjustments(self) -> OrderAdjustments:
        return OrderAdjustments(
            shipping_option_id=self.shipping_option_id.data,
            shipping_fee=self.shipping_fee.data,
            discount_percent=self.discount_percent.data,
            discount_amount=self.discount_amount.data,
            roast_date=self.roast_date.data,
            delivery_date=self.delivery_date.data,
            notes=self.notes.data or "",
        )


def _below_minimum_reason(label: str) -> TextAreaField:
    """Why staff take an order below the customer's minimum; asked for only when it is below (the service
    says so, and the history keeps it)."""
    limit = minimums.REASON_MAX
    return TextAreaField(
        label,
        filters=[clean_text],
        validators=[Length(max=limit, message=f"Use at most {limit} characters.")],
    )


class ApproveForm(_OrderForm):
    below_minimum_reason = _below_minimum_reason("Reason for approving below the minimum")


class CancelForm(_OrderForm):
    reason = TextAreaField(
        "Reason (the customer is emailed it)",
        filters=[clean_text],
        validators=[
            InputRequired("Give the reason for cancelling; the customer is emailed it."),
            Length(max=500, message="Use at most 500 characters."),
        ],
    )


SELECTION = re.compile(r"^([^:]+):(\d{1,9})$")


def selected_orders(values: list[str]) -> list[tuple[int, int]] | None:
    """The Pending tab's ticked boxes, each "order id:version seen"; None if any is garbled."""
    picked = []
    for value in values:
        match = SELECTION.match(value)
        order_id = parse_id(match.group(1)) if match else None
        if order_id is None:
            return None
        picked.append((order_id, int(match.group(2))))
    return picked


class StaffOrderForm(FlaskForm):
    """A new order staff take by phone or email: for whom, and what it starts from."""

    class Meta:
        csrf = False

    customer_id = IdField(
        "Customer", validators=[InputRequired("Choose a customer.")], message=CUSTOMER_NOT_LISTED
    )
    start_from = RadioField(
        "Start from",
        choices=[
            SelectChoice("last", "Their last order (at today's prices)"),
            SelectChoice("empty", "An empty order"),
        ],
        default="last",
        validators=[InputRequired("Choose what the order starts from.")],
    )
    idempotency_key = HiddenField()  # checked by the service (services.idempotency)
    below_minimum_reason = _below_minimum_reason("Reason for entering it below the minimum")


def new_staff_order_form(customer_id: int | None) -> StaffOrderForm:
    """A blank staff order form for the customer (or none chosen yet), with a fresh idempotency key, so a
    double click enters one order."""
    form = StaffOrderForm(formdata=None)
    form.customer_id.data = customer_id
    form.idempotency_key.data = idempotency.new_key()
    return form


ORDER_NUMBER = re.compile(r"\s*[Ww]?0*(\d{1,9})\s*")


class OrderNumberField(StringField):
    """An order number as quoted (W000123) or as typed (123); ``data`` is the order's id."""

    def process_formdata(self, valuelist):
        raw = clean_text(valuelist[0]) if valuelist else ""
        if not raw:
            self.data = None
            return
        match = ORDER_NUMBER.fullmatch(raw)
        if match is None or int(match.group(1)) == 0:
            self.data = None
            raise ValueError("That is not an order number. Enter it like W000123 or 123.")
        self.data = int(match.group(1))

    def _value(self):
        # Shown again as typed, so a mistyped number can be corrected.
        return self.raw_data[0] if self.raw_data else ""


class OrderSearchForm(FlaskForm):
    """The orders overview's search (a GET form: it changes nothing). Every field may be left empty."""

    class Meta:
        csrf = False

    q = StringField("Customer name contains", filters=[clean_text], validators=[Optional(), Length(max=120)])
    number = OrderNumberField("Order number")
    placed_from = CalendarDateField("Placed from")
    placed_to = CalendarDateField("Placed to")
    sort = SelectField(
        "Sort",
        default="",
        choices=[
            SelectChoice("", "Tab's usual order"),
            SelectChoice("oldest", "Oldest first"),
            SelectChoice("newest", "Newest first"),
            SelectChoice("customer", "Customer A–Z"),
            SelectChoice("total", "Largest total first"),
        ],
        validate_choice=True,
    )

    def validate_placed_to(self, field):
        if self.placed_from.data and field.data and field.data < self.placed_from.data:
            raise ValidationError("The last day comes before the first.")

    def search(self) -> OrderSearch:
        return OrderSearch(
            customer=self.q.data or "",
            order_id=self.number.data,
            placed_from=self.placed_from.data,
            placed_to=self.placed_to.data,
            sort=self.sort.data or None,
        )

    def query_args(self) -> dict[str, str]:
        """The search as query-string arguments, empty ones left out, for the tab and page links."""
        return {
            name: field.raw_data[0].strip()
            for name, field in self._fields.items()
            if field.raw_data and field.raw_data[0].strip()
        }
