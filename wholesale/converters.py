"""Row ids as they arrive in URLs and forms: the one rule for what an id can be.

Every table's id is the database's integer, from 1 up to ``MAX_ID``. A larger number cannot be an id, and
PostgreSQL refuses even to compare one with an integer column (a 500 instead of "not found"), so anything
outside that range is turned away before a query is made: by the ``id`` URL converter (a 404, as for an id
that does not exist) or by ``parse_id`` for ids sent in forms.

An id is written one way only: ASCII digits without a leading zero. "007", "٣" (a non-ASCII digit Python
would read as 3), "-1" and "0" are no ids, so each row has one address.
"""

from __future__ import annotations

import re

from werkzeug.routing import IntegerConverter

MIN_ID = 1
MAX_ID = 2**31 - 1
# At most as many digits as MAX_ID has; the value is then checked against MAX_ID.
ID_PATTERN = rf"[1-9][0-9]{{0,{len(str(MAX_ID)) - 1}}}"
_ID = re.compile(ID_PATTERN)


def is_id(value: int) -> bool:
    """Whether ``value`` can be a row id (for ints that did not come through ``parse_id`` or the converter)."""
    return MIN_ID <= value <= MAX_ID


def parse_id(raw: str) -> int | None:
    """The id written in ``raw`` (surrounding spaces allowed), or None when it is no id."""
    raw = raw.strip()
    if _ID.fullmatch(raw) is None:
        return None
    value = int(raw)
    return value if is_id(value) else None


class IdConverter(IntegerConverter):
    """``<id:order_id>``: a row id, else the route does not match and the answer is a 404."""

    regex = ID_PATTERN

    def __init__(self, map) -> None:
        super().__init__(map, min=MIN_ID, max=MAX_ID)


def register(app) -> None:
    """Make ``<id:...>`` known; before any blueprint is registered, as their rules are compiled then."""
    app.url_map.converters["id"] = IdConverter
