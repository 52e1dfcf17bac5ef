"""Weekly reminders: each customer's calendar, the tick that sends what is due, their history, the customer's "no order this week", and the day and time a customer chooses."""

from . import calendar, dispatch, history, no_order, opt_out, schedule  # noqa: F401  (callers name them as reminders.<module>)
