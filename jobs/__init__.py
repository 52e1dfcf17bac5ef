"""What the RQ worker runs and what the scheduler registers. Jobs take ids and open their own app context.

- ``jobs.emails``: send a batch of outbox emails over one SMTP connection; sweep the outbox for anything left
  waiting.
- ``jobs.reminders``: the weekly reminder tick.
- ``jobs.schedule``: the periodic jobs, registered under fixed ids (``python -m jobs.schedule``).
- ``jobs.worker``: the worker class the Procfile runs, which builds the app once before forking.

Putting jobs on the queue is the app's (``wholesale.services.mail.delivery``); the app never imports this
package (an import-linter contract in setup.cfg).
"""
