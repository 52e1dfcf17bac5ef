"""A standing order's preview: "Skip this delivery" asks first (GET skips nothing), skips on the POST, and
works until the delivery's cut-off for that one delivery only."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from wholesale.extensions import db
from wholesale.models.standing import SKIPPED

from .conftest import csrf_from
from .factories import make_catalog, make_customer
from .reminder_data import LINK
from .standing_data import CUTOFF, PREVIEW, deliveries_of, emails_of, make_standing, make_van, run_tick


@pytest.fixture
def previewed(app_ctx):
    variants = make_catalog(coffees=1)
    customer = make_customer("Hillside Café")
    standing = make_standing(customer, make_van(), [(variants[0], 3)])
    db.session.commit()
    run_tick(PREVIEW)
    body = emails_of("standing_preview")[0].text_body
    skip_path = next(url for url in LINK.findall(body) if "/skip/" in url)
    return standing, skip_path, variants


def test_opening_the_link_asks_and_skips_nothing(previewed, client):
    standing, skip_path, variants = previewed
    with time_machine.travel(PREVIEW + timedelta(minutes=5), tick=False):
        page = client.get(skip_path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Skip the delivery of Tue 8 Dec?" in html and f"3 × {variants[0].label}" in html
    assert page.headers["Cache-Control"] == "no-store"
    assert deliveries_of(standing)[0].outcome is None


def test_confirming_skips_that_delivery_and_the_tick_places_nothing(previewed, client):
    standing, skip_path, variants = previewed
    with time_machine.travel(PREVIEW + timedelta(minutes=5), tick=False):
        token = csrf_from(client.get(skip_path).get_data(as_text=True))
        answer = client.post(skip_path, data={"csrf_token": token})
        assert answer.status_code == 303
        page = client.get(skip_path).get_data(as_text=True)
        again = client.post(skip_path, data={"csrf_token": token})
    assert "Skipped" in page and "Skipped by Contact 0 of Hillside Café (Hillside Café)." in page
    assert again.status_code == 303
    [delivery] = deliveries_of(standing)
    assert delivery.outcome == SKIPPED
    assert run_tick(CUTOFF).placed == 0


def test_without_the_csrf_token_nothing_is_skipped(previewed, client):
    standing, skip_path, variants = previewed
    with time_machine.travel(PREVIEW + timedelta(minutes=5), tick=False):
        assert client.post(skip_path).status_code == 400
    assert deliveries_of(standing)[0].outcome is None


def test_after_the_cutoff_the_link_has_expired(previewed, client):
    standing, skip_path, variants = previewed
    with time_machine.travel(CUTOFF, tick=False):
        page = client.get(skip_path)
    assert page.status_code == 410
    assert "A “skip this delivery” link works until that delivery's orders close" in page.get_data(
        as_text=True
    )


def test_a_link_with_another_deliverys_id_or_a_broken_token_is_invalid(previewed, client):
    standing, skip_path, variants = previewed
    other = skip_path.rsplit("/", 1)[0] + "/999"
    broken = skip_path.replace("/link/", "/link/x")
    with time_machine.travel(PREVIEW + timedelta(minutes=5), tick=False):
        for path in (other, broken):
            page = client.get(path)
            assert page.status_code == 400
            assert "This link is no longer valid" in page.get_data(as_text=True)
