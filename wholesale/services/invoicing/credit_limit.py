"""The credit limit: a customer past it is flagged, never refused (we never lose an order).

The limits are settings: ``CREDIT_LIMIT_OVERDUE_AMOUNT`` (an overdue amount) and
``CREDIT_LIMIT_OVERDUE_DAYS`` (days the oldest overdue invoice is past due). A customer is past a limit when
their overdue amount is **above** it, or their oldest overdue invoice is **more** days past due than it
(exactly at the limit is not past it). Either limit empty: that limit is off. The flag is shown on the
Pending tab, on the staff order page and on the staff invoice page.
"""

from __future__ import annotations

from datetime import date

from ... import config
from .. import deliveries, settings
from . import balances


def limits():
    amount = config.parse_optional_amount(settings.get("CREDIT_LIMIT_OVERDUE_AMOUNT") or "")
    days = config.parse_optional_days(settings.get("CREDIT_LIMIT_OVERDUE_DAYS") or "")
    return amount, days


def flag_of(account: balances.Account, amount_limit, days_limit) -> str | None:
    reasons = []
    if amount_limit is not None and account.overdue > amount_limit:
        reasons.append(f"${account.overdue:,.2f} overdue")
    if days_limit is not None and account.oldest_overdue_days > days_limit:
        reasons.append(f"{account.oldest_overdue_days} days overdue")
    return f"Over the limit: {', '.join(reasons)}" if reasons else None


def credit_flags(customer_ids, today: date | None = None) -> dict[int, str]:
    """The flag of each customer of ``customer_ids`` past a limit (those within every limit are left out).
    Reads nothing when no limit is set; else two statements, whatever the number of customers."""
    amount_limit, days_limit = limits()
    if amount_limit is None and days_limit is None:
        return {}
    accounts = balances.accounts(customer_ids, today or deliveries.today())
    flags = {cid: flag_of(account, amount_limit, days_limit) for cid, account in accounts.items()}
    return {cid: flag for cid, flag in flags.items() if flag}
