"""Use cases: plain functions, one per thing a user does, each in one transaction that it commits.

Grouped by domain, so a behaviour is found by its name:

- ``orders``: the customer's draft, placing it, changing any order (``orders.editing``: one function per
  edit, for the portal and the back office alike), approving and cancelling, prices and totals, history.
- ``reminders``: each customer's weekly calendar, the tick that sends what is due, "no order this week".
- ``production``: production runs, what to roast, roast sheets and packing lists.
- ``mail``: the outbox (a row first, in the transaction that causes it) and its delivery to the worker.
- ``customers``: accounts, contacts and prices, and the passwordless sign-in links.
- ``catalog``: products, sizes and shipping options. ``staff_accounts``: the roastery's staff sign-in.

Routes call these and render; the services never import a blueprint (import-linter's layers, setup.cfg).
"""
