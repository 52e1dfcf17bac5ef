"""Flask-Mail with two fixes for a mail server that misbehaves: a timeout, and a QUIT that cannot undo a send.

Flask-Mail opens ``smtplib.SMTP`` without a timeout, so a server that accepts the connection and then says
nothing would hold a worker until RQ kills the job. Here every connect, read and write gives up after
``MAIL_TIMEOUT`` seconds; the outbox records the failure and retries.

Flask-Mail also lets an error of the QUIT after the message escape. A server that accepted the message and
then hung up or stalled on QUIT would make the outbox record a failure and send the message again: a
duplicate. Here a message the server accepted counts as sent, whatever happens to the goodbye.
"""

from __future__ import annotations

import smtplib

from flask import current_app
from flask_mail import Connection
from flask_mail import Mail as FlaskMail


class TimedConnection(Connection):
    def configure_host(self) -> smtplib.SMTP:
        timeout = current_app.config.get("MAIL_TIMEOUT") or None
        smtp_class = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp_class(self.mail.server, self.mail.port, timeout=timeout)
        try:
            host.set_debuglevel(int(self.mail.debug))
            if self.mail.use_tls:
                host.starttls()
            if self.mail.username and self.mail.password:
                host.login(self.mail.username, self.mail.password)
        except BaseException:
            host.close()
            raise
        return host

    def __exit__(self, exc_type, exc_value, tb) -> None:
        host, self.host = self.host, None
        if host is None:
            return
        try:
            host.quit()
        except (smtplib.SMTPException, OSError):
            # Either the message was accepted before QUIT (so it is sent), or sending failed and that error,
            # already on its way out of the ``with``, is the one to record.
            host.close()


class Mail(FlaskMail):
    def connect(self) -> TimedConnection:
        app = getattr(self, "app", None) or current_app
        return TimedConnection(app.extensions["mail"])
