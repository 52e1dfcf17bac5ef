"""Tax and rounding on invoices and credit notes: the one place they are decided.

The rule, stated once:

1. A line's amount is quantity × unit price (exact: prices are whole cents). Delivery is a line of its own
   (``is_shipping``) whose amount is the order's shipping fee.
2. The document's discount is the order's, as its pricing rounded it once (services.orders.pricing). It is
   shared across the item lines (never delivery) in proportion to their amounts, to the cent, by largest
   remainder: each line gets its share rounded down to the cent, and the cents left over go one each to the
   lines with the largest remainders (ties: the earlier line). The shares add up to the discount exactly.
3. A line's tax is its net (amount − discount) × its rate, **rounded half up to the cent once per line**.
   With prices entered including tax (PRICES_INCLUDE_TAX) the tax is the part of the net that is tax:
   net × rate / (100 + rate), rounded the same way.
4. Items take their product's rate (by name; '' or a name no longer in TAX_RATES: the default, the first
   rate); delivery takes the default rate. A customer with a tax exemption certificate pays 0 on every line
   (the certificate is shown on the document). No TAX_RATES: no tax.
5. The document's tax = Σ line taxes. Its total = subtotal − discount + shipping + tax; with prices including
   tax, total = subtotal − discount + shipping, the tax being shown as included in it.
6. A credit note credits some quantity of a line: its discount and tax are the line's, pro rata, computed on
   the cumulative quantity credited so far and differenced (so the credits of a line never come to more than
   the line, and crediting all of it gives back exactly its discount and tax).

These are pure functions over Decimals (apart from ``rates``/``rate_for``, which read the settings).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from ...config import TaxRateSetting, parse_tax_rates
from ...models.types import CENT, to_money
from .. import settings

ZERO = Decimal("0.00")
NO_TAX = TaxRateSetting("", Decimal("0"))


# --- The roastery's rates -------------------------------------------------------------------------------


def rates() -> tuple[TaxRateSetting, ...]:
    """The roastery's tax rates (TAX_RATES), the first the default; empty: no tax."""
    return parse_tax_rates(settings.get("TAX_RATES") or "")


def rate_for(rate_name: str = "", exempt: bool = False) -> TaxRateSetting:
    """The rate a product named ``rate_name`` (or delivery: '') is taxed at; 0 for an exempt customer."""
    known = rates()
    if not known:
        return NO_TAX
    chosen = next((rate for rate in known if rate.name == rate_name), known[0])
    return TaxRateSetting(chosen.name, Decimal("0")) if exempt else chosen


# --- Lines and documents --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Charge:
    """A line before tax: its amount (quantity × unit price, or the delivery fee) and its rate in percent."""

    amount: Decimal
    rate: Decimal
    is_shipping: bool = False


@dataclass(frozen=True)
class TaxedLine:
    amount: Decimal
    discount: Decimal
    rate: Decimal
    tax: Decimal
    is_shipping: bool = False

    @property
    def net(self) -> Decimal:
        return self.amount - self.discount


@dataclass(frozen=True)
class DocumentTotals:
    """A document's totals, named as the invoice's columns (``Invoice(**asdict(totals))``)."""

    subtotal: Decimal  # the item lines' amounts
    discount: Decimal
    shipping: Decimal  # the delivery lines' amounts
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class TaxedDocument:
    lines: tuple[TaxedLine, ...]
    totals: DocumentTotals


def share_discount(amounts: Sequence[Decimal], discount: Decimal) -> list[Decimal]:
    """``discount`` shared across ``amounts`` in proportion, to the cent, by largest remainder (rule 2)."""
    whole = sum(amounts, ZERO)
    discount = to_money(discount)
    if not amounts or whole <= 0 or discount <= 0:
        return [ZERO for _ in amounts]
    exact = [amount * discount / whole for amount in amounts]
    shares = [value.quantize(CENT, rounding=ROUND_DOWN) for value in exact]
    left = int((discount - sum(shares, ZERO)) / CENT)
    by_remainder = sorted(range(len(amounts)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[:left]:
        shares[i] += CENT
    return shares


def line_tax(net: Decimal, rate: Decimal, prices_include_tax: bool) -> Decimal:
    """The tax of a line's net at ``rate`` percent, rounded half up to the cent once (rule 3)."""
    if rate == 0 or net <= 0:
        return ZERO
    if prices_include_tax:
        return to_money(net * rate / (100 + rate))
    return to_money(net * rate / 100)


def document_totals(lines: Sequence[TaxedLine], prices_include_tax: bool) -> DocumentTotals:
    """What a document of ``lines`` comes to (rule 5)."""
    subtotal = sum((line.amount for line in lines if not line.is_shipping), ZERO)
    shipping = sum((line.amount for line in lines if line.is_shipping), ZERO)
    discount = sum((line.discount for line in lines), ZERO)
    tax = sum((line.tax for line in lines), ZERO)
    total = subtotal - discount + shipping + (ZERO if prices_include_tax else tax)
    return DocumentTotals(subtotal, discount, shipping, tax, total)


def tax_document(charges: Sequence[Charge], discount: Decimal, prices_include_tax: bool) -> TaxedDocument:
    """Share ``discount`` across the item charges, tax each line and total the document (rules 2, 3, 5)."""
    items = [i for i, charge in enumerate(charges) if not charge.is_shipping]
    shares = dict(zip(items, share_discount([charges[i].amount for i in items], discount), strict=True))
    lines = []
    for i, charge in enumerate(charges):
        line_discount = shares.get(i, ZERO)
        tax = line_tax(charge.amount - line_discount, charge.rate, prices_include_tax)
        lines.append(TaxedLine(charge.amount, line_discount, charge.rate, tax, charge.is_shipping))
    return TaxedDocument(tuple(lines), document_totals(lines, prices_include_tax))


@dataclass(frozen=True)
class LineCredit:
    """What crediting some quantity of an issued line gives back: its amount, discount and tax."""

    amount: Decimal
    discount: Decimal
    tax: Decimal


def credit_of_line(
    line: TaxedLine,
    unit_price: Decimal,
    quantity: int,
    credited_before: int,
    crediting: int,
    prices_include_tax: bool,
) -> LineCredit:
    """Credit ``crediting`` of a line of ``quantity`` of which ``credited_before`` were credited already
    (rule 6): the cumulative credit after, less the cumulative credit before."""
    if crediting <= 0 or credited_before + crediting > quantity:
        raise ValueError("credit between 1 and what is left of the line")

    def cumulative(count: int) -> tuple[Decimal, Decimal, Decimal]:
        if count == quantity:
            return line.amount, line.discount, line.tax
        if count == 0:
            return ZERO, ZERO, ZERO
        amount = unit_price * count
        discount = min(amount, to_money(line.discount * count / quantity))
        return amount, discount, line_tax(amount - discount, line.rate, prices_include_tax)

    before, after = cumulative(credited_before), cumulative(credited_before + crediting)
    return LineCredit(*(max(ZERO, a - b) for a, b in zip(after, before, strict=True)))
