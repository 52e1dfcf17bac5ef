"""Orders: the customer's draft, placing it, changing it (one function per edit), approving it, what it costs, its history and the emails its lifecycle sends."""

from . import (  # noqa: F401  (callers name them as orders.<module>)
    adjustments,
    approval,
    drafts,
    editing,
    history,
    idempotency,
    minimums,
    notices,
    placing,
    pricing,
    queries,
    staff_orders,
)
