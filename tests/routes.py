"""Every route of the app, for tests that must cover all of them (new routes are covered without edits)."""

from __future__ import annotations

import re

from wholesale import create_app

_APP = create_app({"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})


def routes(prefix: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """(method, rule, arguments) of every endpoint starting with ``prefix``, e.g. ``"admin."``."""
    found = []
    for rule in _APP.url_map.iter_rules():
        if rule.endpoint.startswith(prefix):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((method, rule.rule, tuple(sorted(rule.arguments))))
    return sorted(found)


def fill(rule: str, **ids) -> str:
    path = fill_some(rule, ids)
    assert "<" not in path, f"no value given for an argument of {rule}"
    return path


def fill_some(rule: str, ids: dict) -> str:
    """``rule`` with the arguments named in ``ids`` replaced, whatever their converter (<id:order_id>)."""
    path = rule
    for name, value in ids.items():
        path = re.sub(rf"<(?:\w+:)?{re.escape(name)}>", str(value), path)
    return path
