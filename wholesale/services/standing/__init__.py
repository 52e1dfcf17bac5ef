"""Standing orders: set once, placed by themselves.

- ``schedule``: which dates a standing order delivers on, when each is previewed and placed (pure dates).
- ``manage``: customers and staff make, change, pause and stop them.
- ``queries``: what their pages read: one, a customer's, all in a state, with what comes next for each.
- ``skips``: skip one delivery ahead of its cut-off, and the preview email's skip link.
- ``claims``: each delivery's preview and its placement, claimed once however many ticks run.
- ``tick``: the periodic job that sends each delivery's preview once and places it once at its cut-off.
"""
