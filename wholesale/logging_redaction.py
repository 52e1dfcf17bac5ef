"""Link tokens never reach a log: ``/link/<token>`` (a sign-in, or a reminder's "no order" and "stop" links)
is written as ``/link/[redacted]``, and a staff password link ``/admin/password/<token>`` as
``/admin/password/[redacted]``.

A token in a log line is a working sign-in for whoever reads the log. The filter here is installed on the
"werkzeug" logger (the development server's request log) by ``create_app``; ``gunicorn.conf.py`` applies the
same ``redact`` to gunicorn's access log.
"""

from __future__ import annotations

import logging
import re

# A token ends at whitespace, the query or fragment, a quote, a slash, or the escape code of a coloured log.
_TOKEN_CHAR = r"[^\s?#\"'/\x1b]"  # noqa: S105  (a pattern, not a secret)
# /link/ (or /link%2F, which servers decode to the same route) and a token; the fixed pages /link/request
# and /link/requested stay readable.
LINK_TOKEN = re.compile(rf"(/link(?:/|%2[fF]))(?!(?:request|requested)(?!{_TOKEN_CHAR})){_TOKEN_CHAR}+")
PASSWORD_TOKEN = re.compile(rf"(/admin(?:/|%2[fF])password(?:/|%2[fF])){_TOKEN_CHAR}+")
REDACTED = r"\1[redacted]"


def redact(text: str) -> str:
    if "/link" in text:
        text = LINK_TOKEN.sub(REDACTED, text)
    if "password" in text:
        text = PASSWORD_TOKEN.sub(REDACTED, text)
    return text


class RedactLinkTokens(logging.Filter):
    """Rewrites a record whose message holds a sign-in link; the record is always kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's problem to report, not ours
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact_werkzeug_log() -> None:
    """Install the filter on the development server's request log, once however many apps are made."""
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(existing, RedactLinkTokens) for existing in logger.filters):
        logger.addFilter(RedactLinkTokens())
