"""gunicorn reads this file from the working directory by itself; the Procfile's flags still apply.

Its one job: sign-in tokens never reach gunicorn's logs. Every access-log atom (request line, path, Referer,
headers, environ) and every error-log line has ``/link/<token>`` rewritten to ``/link/[redacted]``.
"""

from gunicorn.glogging import Logger

from wholesale.logging_redaction import RedactLinkTokens, redact


class RedactingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        if not any(isinstance(existing, RedactLinkTokens) for existing in self.error_log.filters):
            self.error_log.addFilter(RedactLinkTokens())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}


logger_class = RedactingLogger

# A sync worker busy with one request longer than this is killed. A year's accountant's export (staff only,
# streamed) takes about half a minute at 2,000 customers; the default 30 s would cut it off.
timeout = 120
