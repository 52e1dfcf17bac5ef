"""The signed session cookie, sent again when it changes and at most once a day otherwise.

Flask sends a permanent session's cookie with every response to move its expiry forward
(``SESSION_REFRESH_EACH_REQUEST``): serialising and signing it is about a tenth of what an order page costs
the server. Refreshed on the first request of each day instead, a session still lasts
``PERMANENT_SESSION_LIFETIME`` (31 days) from the last day it was used, as before to within a day.
"""

from __future__ import annotations

import time

from flask.sessions import SecureCookieSessionInterface

REFRESHED_ON = "_day"  # the day (days since 1970, UTC) the cookie was last sent


def today() -> int:
    return int(time.time() // 86400)


class DailyRefreshedSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app, request):
        session = super().open_session(app, request)
        if session is not None and session.permanent:
            day = today()
            if session.get(REFRESHED_ON) != day:
                session[REFRESHED_ON] = day  # a change: this response sends the cookie with a new expiry
        return session


def register(app) -> None:
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    app.session_interface = DailyRefreshedSessionInterface()
