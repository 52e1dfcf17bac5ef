"""The tax rule (services.invoicing.tax): worked examples a roastery's accountant can check by hand, and
properties that hold for any mix of lines, rates, discount and delivery, to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wholesale.models.types import to_money
from wholesale.services.invoicing.tax import (
    Charge,
    TaxedLine,
    credit_of_line,
    line_tax,
    rate_for,
    share_discount,
    tax_document,
)

pytestmark = pytest.mark.db_independent

D = Decimal


def taxed(charges, discount="0", inclusive=False):
    return tax_document(charges, D(discount), inclusive)


# --- Worked examples ------------------------------------------------------------------------------------


def test_vat_20_percent_on_prices_without_tax():
    """Two bags at 14.50 and a 5 lb bag at 82.00, 10 % off, 12.00 delivery, VAT 20 % on everything."""
    document = taxed(
        [Charge(D("29.00"), D("20")), Charge(D("82.00"), D("20")), Charge(D("12.00"), D("20"), True)],
        discount="11.10",
    )
    assert [(line.discount, line.tax) for line in document.lines] == [
        (D("2.90"), D("5.22")),  # (29.00 − 2.90) × 20 % = 5.22
        (D("8.20"), D("14.76")),  # (82.00 − 8.20) × 20 % = 14.76
        (D("0.00"), D("2.40")),  # delivery: never discounted, taxed at the default rate
    ]
    totals = document.totals
    assert (totals.subtotal, totals.discount, totals.shipping, totals.tax) == (
        D("111.00"),
        D("11.10"),
        D("12.00"),
        D("22.38"),
    )
    assert totals.total == D("134.28")  # 111.00 − 11.10 + 12.00 + 22.38


def test_vat_20_percent_on_prices_including_tax():
    """The same prices entered with VAT in them: the tax is the part of each net that is tax, 20/120."""
    document = taxed([Charge(D("120.00"), D("20")), Charge(D("10.00"), D("20"), True)], inclusive=True)
    assert [line.tax for line in document.lines] == [D("20.00"), D("1.67")]  # 10 × 20/120 = 1.666… → 1.67
    assert document.totals.tax == D("21.67")
    assert document.totals.total == D("130.00")  # the tax is in the prices, not added


def test_new_york_sales_tax_8_875_percent_rounds_half_up_once_per_line():
    document = taxed([Charge(D("14.00"), D("8.875")), Charge(D("36.00"), D("8.875"))])
    # 14.00 × 8.875 % = 1.2425 → 1.24; 36.00 × 8.875 % = 3.195 → 3.20 (half up)
    assert [line.tax for line in document.lines] == [D("1.24"), D("3.20")]
    assert document.totals.tax == D("4.44")  # Σ of the lines' rounded tax, not 50.00 × 8.875 % = 4.4375
    assert document.totals.total == D("54.44")


def test_an_exempt_customer_pays_no_tax_on_any_line(app_ctx, app):
    app.config["TAX_RATES"] = "VAT 20%, Reduced 5%"
    try:
        assert rate_for("Reduced", exempt=True).rate == 0 and rate_for("", exempt=True).name == "VAT"
        assert rate_for("Reduced").rate == D("5") and rate_for("").rate == D("20")
        assert rate_for("Gone from the settings").name == "VAT"  # an unknown name: the default
    finally:
        app.config["TAX_RATES"] = ""
    assert rate_for("Reduced").rate == 0  # no TAX_RATES: no tax
    document = taxed([Charge(D("50.00"), D("0")), Charge(D("8.00"), D("0"), True)])
    assert document.totals.tax == 0 and document.totals.total == D("58.00")


def test_two_rates_on_one_invoice():
    """Coffee at a reduced 5 %, a mug at 20 %, delivery at the default 20 %."""
    document = taxed(
        [Charge(D("100.00"), D("5")), Charge(D("25.00"), D("20")), Charge(D("5.00"), D("20"), True)]
    )
    assert [line.tax for line in document.lines] == [D("5.00"), D("5.00"), D("1.00")]
    assert document.totals.total == D("141.00")


def test_the_discount_is_shared_in_proportion_and_the_remainder_cent_goes_to_the_largest_remainder():
    # 10.00 over three equal lines: 3.333… each, rounded down to 3.33, and the cent left over goes to the
    # first of the equal remainders.
    assert share_discount([D("10.00"), D("10.00"), D("10.00")], D("10.00")) == [
        D("3.34"),
        D("3.33"),
        D("3.33"),
    ]
    # 1.00 over 1.00 and 2.00: 0.333… and 0.666…: rounded down 0.33 and 0.66, the cent to the larger remainder
    assert share_discount([D("1.00"), D("2.00")], D("1.00")) == [D("0.33"), D("0.67")]
    assert share_discount([D("5.00")], D("0")) == [D("0.00")]
    assert share_discount([], D("3.00")) == []


def test_a_credited_line_gives_back_its_discount_and_tax_pro_rata_and_exactly_in_the_end():
    line = TaxedLine(D("43.50"), D("4.35"), D("20"), D("7.83"))  # 3 × 14.50, 10 % off, VAT 20 %
    first = credit_of_line(line, D("14.50"), 3, 0, 1, False)
    assert (first.amount, first.discount, first.tax) == (D("14.50"), D("1.45"), D("2.61"))
    rest = credit_of_line(line, D("14.50"), 3, 1, 2, False)
    assert (first.amount + rest.amount, first.discount + rest.discount, first.tax + rest.tax) == (
        D("43.50"),
        D("4.35"),
        D("7.83"),
    )
    with pytest.raises(ValueError):
        credit_of_line(line, D("14.50"), 3, 1, 3, False)


# --- Properties -----------------------------------------------------------------------------------------

CENTS = st.integers(min_value=0, max_value=2_000_000).map(lambda cents: D(cents) / 100)
RATES = st.sampled_from([D("0"), D("5"), D("7.5"), D("8.875"), D("10"), D("19"), D("20"), D("25")])
LINES = st.lists(st.tuples(CENTS, RATES), min_size=1, max_size=12)


@st.composite
def documents(draw):
    lines = draw(LINES)
    charges = [Charge(amount, rate) for amount, rate in lines]
    if draw(st.booleans()):
        charges.append(Charge(draw(CENTS), draw(RATES), True))
    subtotal = sum((charge.amount for charge in charges if not charge.is_shipping), D("0"))
    percent = draw(st.integers(min_value=0, max_value=10000).map(lambda hundredths: D(hundredths) / 100))
    discount = to_money(subtotal * percent / 100)  # as the order's pricing rounds it, once
    return charges, discount, draw(st.booleans())


@settings(max_examples=300, deadline=None)
@given(documents())
def test_a_document_total_is_its_lines_discount_shipping_and_tax_to_the_cent(document):
    charges, discount, inclusive = document
    result = tax_document(charges, discount, inclusive)
    lines, totals = result.lines, result.totals
    items = [line for line in lines if not line.is_shipping]
    assert totals.subtotal == sum((line.amount for line in items), D("0"))
    assert totals.shipping == sum((line.amount for line in lines if line.is_shipping), D("0"))
    assert totals.discount == discount == sum((line.discount for line in lines), D("0"))
    assert totals.tax == sum((line.tax for line in lines), D("0"))
    added = D("0") if inclusive else totals.tax
    assert totals.total == totals.subtotal - totals.discount + totals.shipping + added
    for line in lines:
        assert line.tax == line.tax.quantize(D("0.01")) and line.discount == line.discount.quantize(D("0.01"))
        assert D("0") <= line.discount <= line.amount and line.tax >= 0
        assert line.tax == line_tax(line.amount - line.discount, line.rate, inclusive)
        if line.is_shipping:
            assert line.discount == 0
    if totals.subtotal:  # each share is within a cent of its exact proportion
        for line in items:
            assert abs(line.discount - line.amount * discount / totals.subtotal) < D("0.01")


@settings(max_examples=200, deadline=None)
@given(
    unit=st.integers(min_value=1, max_value=100_000).map(lambda cents: D(cents) / 100),
    quantity=st.integers(min_value=1, max_value=40),
    percent=st.integers(min_value=0, max_value=100),
    rate=RATES,
    inclusive=st.booleans(),
    data=st.data(),
)
def test_credits_of_a_line_in_any_steps_add_up_to_the_line(unit, quantity, percent, rate, inclusive, data):
    amount = unit * quantity
    discount = to_money(amount * percent / 100)
    line = TaxedLine(amount, discount, rate, line_tax(amount - discount, rate, inclusive))
    credited, sums = 0, [D("0")] * 3
    while credited < quantity:
        step = data.draw(st.integers(min_value=1, max_value=quantity - credited))
        credit = credit_of_line(line, unit, quantity, credited, step, inclusive)
        assert min(credit.amount, credit.discount, credit.tax) >= 0
        sums = [
            total + part
            for total, part in zip(sums, (credit.amount, credit.discount, credit.tax), strict=True)
        ]
        credited += step
    assert sums == [line.amount, line.discount, line.tax]
