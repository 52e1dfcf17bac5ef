"""Weekly reminders: each customer's calendar, the tick that sends what is due, their history, and the customer's "no order this week"."""

from . import calendar, dispatch, history, no_order, opt_out  # noqa: F401  (callers name them as reminders.<module>)
