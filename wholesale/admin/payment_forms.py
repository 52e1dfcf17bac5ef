"""Forms of the staff payment pages. The allocation of each open invoice is a field named
``allocation-<invoice id>``: the open invoices are known only when the page is drawn, so those fields are read
by ``read_allocations`` rather than declared."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.meta import DefaultMeta
from wtforms.validators import InputRequired, Length

from ..forms import IdField, MoneyField, clean_text
from ..models.invoicing import PAYMENT_METHODS
from ..services.invoicing.payments import MAX_AMOUNT

OLDEST_FIRST, AS_ENTERED = "oldest", "entered"


class PaymentAmountField(MoneyField):
    high = MAX_AMOUNT
    noun = "an amount"
    example = "120.50"


class PaymentForm(FlaskForm):
    customer_id = IdField("Customer", validators=[InputRequired("Choose the customer who paid.")])
    received_on = DateField("Received on", validators=[InputRequired("Give the date the money came in.")])
    amount = PaymentAmountField("Amount", validators=[InputRequired("Give the amount received.")])
    method = SelectField("Method", choices=[SelectChoice(m, m.capitalize()) for m in PAYMENT_METHODS])
    reference = StringField("Reference", validators=[Length(max=120)], filters=[clean_text])
    notes = TextAreaField("Notes", validators=[Length(max=2000)], filters=[clean_text])
    allocate = RadioField(
        "What it pays",
        choices=[
            SelectChoice(OLDEST_FIRST, "The oldest invoices first"),
            SelectChoice(
                AS_ENTERED, "The amounts entered beside each invoice below (the rest stays as credit)"
            ),
        ],
        default=OLDEST_FIRST,
    )


def allocation_field(invoice_id: int) -> str:
    return f"allocation-{invoice_id}"


def read_allocations(formdata, invoice_ids) -> tuple[dict[int, Decimal], dict[int, str]]:
    """The amount typed beside each of ``invoice_ids`` (empty: none), and a message per unreadable one."""
    allocations, errors = {}, {}
    for invoice_id in invoice_ids:
        field = PaymentAmountField(_form=None, name=allocation_field(invoice_id), _meta=DefaultMeta())
        raw = formdata.get(allocation_field(invoice_id), "")
        try:
            field.process_formdata([raw])
            field.pre_validate(None)
        except ValueError as error:
            errors[invoice_id] = str(error)
            continue
        if field.data is not None and field.data != 0:
            allocations[invoice_id] = field.data
    return allocations, errors
