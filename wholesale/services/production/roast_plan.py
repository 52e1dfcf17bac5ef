"""What to roast for a production run: the weight arithmetic, in whole grams, and its one rounding rule.

- Roasted grams of a bag size = bags × the size's net weight. Exact: both are integers.
- Roasted grams of a coffee = the sum over its sizes. Exact.
- Green grams = roasted grams / (1 − roast loss % / 100), **rounded up to the whole gram**, so the roaster
  never pulls short. Computed in integers (the loss has two decimal places), never in floats.
- The rounding is applied once per figure, from that figure's exact roasted grams: a coffee's green grams
  come from the coffee's roasted total, not from adding its sizes' rounded green grams. The sizes' green
  grams can therefore add up to a gram or two more than the coffee's.

A coffee offered in options (grinds) is roasted as one coffee: its weights are the same whatever the grind.
The plan also totals each grind under its coffee (bags, roasted grams, and the sizes they pack into), for
the grinder; those totals add up to the coffee's.

Only coffees are roasted: other items (kind ``other``) never reach this module. A coffee without a roast
loss is planned at 0 % and flagged, so the gap shows instead of hiding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

ROUNDING_RULE = (
    "Green weight = roasted weight ÷ (1 − roast loss), rounded up to the whole gram, "
    "once per coffee and once per bag size."
)


def green_weight_g(roasted_g: int, roast_loss_percent: Decimal | None) -> int:
    """The green coffee to roast for ``roasted_g`` grams of roasted coffee, rounded up to the gram."""
    loss_hundredths = int((roast_loss_percent or Decimal("0")) * 100)
    if not 0 <= loss_hundredths < 10_000:
        raise ValueError(f"roast loss must be from 0 to under 100 %, not {roast_loss_percent}")
    kept = 10_000 - loss_hundredths  # hundredths of a percent of the green weight left after roasting
    return -(-roasted_g * 10_000 // kept)  # ceiling division, exact


@dataclass(frozen=True)
class PlanRow:
    """Bags of one size of one coffee in one option over the whole run, as the database sums them."""

    product_id: int
    product_name: str
    roast_loss_percent: Decimal | None
    variant_id: int
    size_name: str
    net_weight_g: int
    bags: int
    option: str = ""
    # Where the option stands in the product's list now (None: no longer offered), to list grinds in order.
    option_position: int | None = None


@dataclass(frozen=True)
class OptionWeight:
    """One option (a grind) of a coffee over the run: its bags by size, and their roasted weight."""

    name: str
    packs: tuple[tuple[str, int], ...]  # (size name, bags), smallest size first
    bags: int
    roasted_g: int


@dataclass(frozen=True)
class SizeWeight:
    variant_id: int
    name: str
    net_weight_g: int
    bags: int
    roasted_g: int
    green_g: int


@dataclass(frozen=True)
class CoffeeWeight:
    product_id: int
    name: str
    roast_loss_percent: Decimal | None
    sizes: tuple[SizeWeight, ...]
    roasted_g: int
    green_g: int
    # Per option, in the product's order of options (those no longer offered last); empty for a coffee
    # ordered without options.
    options: tuple[OptionWeight, ...] = ()

    @property
    def bags(self) -> int:
        return sum(size.bags for size in self.sizes)

    @property
    def roast_loss_missing(self) -> bool:
        return self.roast_loss_percent is None


@dataclass(frozen=True)
class RoastPlan:
    coffees: tuple[CoffeeWeight, ...]

    @property
    def roasted_g(self) -> int:
        return sum(coffee.roasted_g for coffee in self.coffees)

    @property
    def green_g(self) -> int:
        """Each coffee is roasted on its own, so the run's green total is the sum of the coffees'."""
        return sum(coffee.green_g for coffee in self.coffees)

    @property
    def heaviest_green_g(self) -> int:
        return max((coffee.green_g for coffee in self.coffees), default=0)


def _size(rows: list[PlanRow]) -> SizeWeight:
    """One size over all its options."""
    first = rows[0]
    bags = sum(row.bags for row in rows)
    roasted = bags * first.net_weight_g
    return SizeWeight(
        first.variant_id,
        first.size_name,
        first.net_weight_g,
        bags,
        roasted,
        green_weight_g(roasted, first.roast_loss_percent),
    )


def _options(rows: list[PlanRow]) -> tuple[OptionWeight, ...]:
    """A coffee's rows totalled per option; none when every row is without one."""
    by_option: dict[str, list[PlanRow]] = {}
    listed = sorted(
        rows, key=lambda r: (r.option != "", r.option_position is None, r.option_position or 0, r.option)
    )
    for row in listed:
        by_option.setdefault(row.option, []).append(row)
    if set(by_option) == {""}:
        return ()
    return tuple(
        OptionWeight(
            name or "No option",
            tuple((row.size_name, row.bags) for row in sorted(option_rows, key=lambda r: r.net_weight_g)),
            sum(row.bags for row in option_rows),
            sum(row.bags * row.net_weight_g for row in option_rows),
        )
        for name, option_rows in by_option.items()
    )


def plan_from_rows(rows: Iterable[PlanRow]) -> RoastPlan:
    """Group the per-size-and-option sums by coffee; coffees by name, sizes smallest first, options in the
    product's order."""
    by_coffee: dict[int, list[PlanRow]] = {}
    for row in rows:
        if row.bags > 0:
            by_coffee.setdefault(row.product_id, []).append(row)
    coffees = []
    for product_rows in by_coffee.values():
        first = product_rows[0]
        product_rows.sort(key=lambda r: (r.net_weight_g, r.size_name, r.variant_id))
        by_size: dict[int, list[PlanRow]] = {}
        for row in product_rows:
            by_size.setdefault(row.variant_id, []).append(row)
        sizes = tuple(_size(size_rows) for size_rows in by_size.values())
        roasted = sum(size.roasted_g for size in sizes)
        coffees.append(
            CoffeeWeight(
                first.product_id,
                first.product_name,
                first.roast_loss_percent,
                sizes,
                roasted,
                green_weight_g(roasted, first.roast_loss_percent),
                _options(product_rows),
            )
        )
    return RoastPlan(tuple(sorted(coffees, key=lambda c: (c.name.lower(), c.product_id))))
