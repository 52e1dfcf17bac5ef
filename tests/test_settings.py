"""The Settings page: owners change the roastery's settings in the database, each change holds at once and is
logged (who, when, from what to what); what cannot be read is refused beside its field and nothing is saved.

A worker process reading a change is test_settings_worker.py's; who may open the page, the authorization
matrix's.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from wholesale.extensions import db
from wholesale.models import Contact, Email, Logo, Product, Setting, SettingChange, StaffUser
from wholesale.services import settings

from .conftest import csrf_from
from .factories import make_catalog, sign_in_contact
from .portal_shop import placed_order, shop  # noqa: F401  (shop is a fixture)


def current_values(page: str) -> dict[str, str]:
    """The settings form as the page fills it in: name → value (a ticked box is "y", a bare one absent)."""
    form = page.split('class="settings-form"', 1)[1].split("</form>", 1)[0]
    values = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag).group(1)
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                values[name] = "y"
            continue
        values[name] = re.search(r'value="([^"]*)"', tag).group(1) if 'value="' in tag else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        values[name] = body.lstrip("\r\n")
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        values[name] = re.search(
            r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', options
        )
        values[name] = next(group for group in values[name].groups() if group is not None)
    return values


def save(client, **changes):
    page = client.get("/admin/settings").get_data(as_text=True)
    data = current_values(page) | changes
    data = {name: value for name, value in data.items() if value is not None}
    return client.post("/admin/settings", data=data)


def change_log(app) -> list[tuple[str, str, str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(SettingChange).order_by(SettingChange.id)).all()
        return [(row.name, row.old_value, row.new_value, row.changed_by_name) for row in rows]


def flashes(page: str) -> list[str]:
    return re.findall(r'class="flash">([^<]*)<', page)


def test_the_page_shows_what_holds_now_from_the_environment(staff_client):
    page = staff_client.get("/admin/settings").get_data(as_text=True)
    values = current_values(page)
    assert values["roastery_name"] == "Hillside Coffee Roasters"
    assert values["roastery_timezone"] == "America/Los_Angeles"
    assert values["reminder_default_weekday"] == "6"
    assert values["order_notify_roastery"] == "y"
    assert values["weight_unit"] == "kg"
    assert "No changes yet" in page
    # Time zones are chosen from a list (searchable as typed), not made up.
    assert 'list="iana-zones"' in page and '<option value="Europe/London">' in page


def test_saving_the_name_and_time_zone_holds_at_once_and_is_logged(app, staff_client):
    response = save(staff_client, roastery_name="Ridge Roasters", roastery_timezone="europe/london")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/settings"

    page = staff_client.get("/admin/settings").get_data(as_text=True)
    assert flashes(page) == ["Saved: Roastery name, Time zone."]
    assert '<span class="brand">Ridge Roasters</span>' in page  # every page's header, at once
    assert "<title>Settings · Staff · Ridge Roasters</title>" in page
    assert change_log(app) == [
        ("ROASTERY_NAME", "Hillside Coffee Roasters", "Ridge Roasters", "Sam"),
        ("ROASTERY_TIMEZONE", "America/Los_Angeles", "Europe/London", "Sam"),  # as zoneinfo spells it
    ]
    with app.app_context():
        assert dict(db.session.execute(select(Setting.name, Setting.value)).tuples().all()) == {
            "ROASTERY_NAME": "Ridge Roasters",
            "ROASTERY_TIMEZONE": "Europe/London",
        }
    # The log on the page: who, what, from, to.
    changes = page.split('id="changes"', 1)[1]
    assert "Sam" in changes and "Time zone" in changes and "America/Los_Angeles" in changes
    assert "Europe/London" in changes

    # Saving the same values again changes nothing and logs nothing.
    assert save(staff_client).status_code == 303
    assert flashes(staff_client.get("/admin/settings").get_data(as_text=True)) == ["Nothing changed."]
    assert len(change_log(app)) == 2


def test_a_saved_setting_wins_over_the_environment_in_every_reader(app, staff_client, monkeypatch):
    monkeypatch.setitem(app.config, "PAYMENT_TERMS_DAYS", 14)
    save(
        staff_client,
        payment_terms_days="30",
        standing_orders_approved="y",
        order_notify_roastery=None,  # unticked: the box is not sent
        reminder_default_weekday="0",
        order_minimum="11 lb",
    )
    with app.app_context():
        assert settings.get("PAYMENT_TERMS_DAYS") == 30  # typed as the environment's
        assert settings.get("STANDING_ORDERS_APPROVED") is True
        assert settings.get("ORDER_NOTIFY_ROASTERY") is False
        assert settings.get("REMINDER_DEFAULT_WEEKDAY") == 0
        assert settings.notify_addresses() == ()
        # A setting never saved still follows the environment.
        monkeypatch.setitem(app.config, "CURRENCY", "EUR")
        assert settings.get("CURRENCY") == "EUR"
    log = {name: (old, new) for name, old, new, _ in change_log(app)}
    assert log["ORDER_NOTIFY_ROASTERY"] == ("true", "false")
    assert log["ORDER_MINIMUM"] == ("", "11 lb")
    page = staff_client.get("/admin/settings").get_data(as_text=True).split('id="changes"', 1)[1]
    assert "Monday" in page and "Sunday" in page  # a weekday is logged as one, not as a number


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("roastery_timezone", "Mars/Olympus", "choose a time zone from the list"),
        ("roastery_email", "not an address", "An email address must have an @-sign"),
        ("roastery_name", "   ", "this cannot be empty"),
        ("roastery_name", "x" * 121, "at most 120 characters"),
        ("order_notify_emails", "ana@example.com, nope", "nope"),
        ("tax_rates", "VAT twenty", "is not a name and a rate"),
        ("order_minimum", "five kilos", 'write a coffee weight like "5 kg"'),
        ("reminder_default_time", "25:00", 'write a time like "18:00"'),
        ("reminder_choices", "Someday 10:00", "is not a weekday and time"),
        ("payment_terms_days", "-3", "write a whole number from 0 to 365"),
        ("standing_preview_hours", "1e9", "write a whole number from 1 to 336"),
        ("currency", "dollars", "three-letter currency code"),
        ("invoice_prefix", "<script>", "use up to 12 letters"),
        ("export_xero_tax_types", "VAT", "is not a tax rate name and a code"),
        ("weight_unit", "stone", "Not a valid choice"),
        ("reminder_default_weekday", "7", "Not a valid choice"),
    ],
)
def test_what_cannot_be_read_is_refused_beside_its_field_and_nothing_is_saved(
    app, staff_client, field, typed, message
):
    response = save(staff_client, **({"roastery_name": "Ridge Roasters"} | {field: typed}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was saved" in page
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    shown = error.group(1).replace("&#34;", '"').replace("&#39;", "'") if error else page
    assert message.lower() in shown.lower(), shown
    assert change_log(app) == []
    with app.app_context():
        assert db.session.scalar(select(Setting.name)) is None


def test_a_tax_rate_products_still_use_cannot_be_dropped(app, staff_client):
    save(staff_client, tax_rates="VAT 20%, Reduced 5%")
    with app.app_context():
        [variant, *_] = make_catalog(coffees=1)
        db.session.get(Product, variant.product_id).tax_rate_name = "Reduced"
        db.session.commit()
    response = save(staff_client, tax_rates="VAT 20%")
    assert response.status_code == 422
    assert "Reduced is still the rate of some products" in response.get_data(as_text=True)
    with app.app_context():
        assert settings.get("TAX_RATES") == "VAT 20%, Reduced 5%"
    assert save(staff_client, tax_rates="VAT 21%, Reduced 5%").status_code == 303  # a new rate is fine


def test_new_orders_are_announced_to_every_address_given(app, staff_client, shop):
    save(staff_client, order_notify_emails="owner@ridge.example\nroaster@ridge.example, OWNER@ridge.example")
    customer = app.test_client()
    with app.app_context():
        assert settings.notify_addresses() == ("owner@ridge.example", "roaster@ridge.example")
        sign_in_contact(customer, db.session.get(Contact, shop.contact_ids[0]))
        placed_order(app, customer)
    with app.app_context():
        notices = db.session.scalars(
            select(Email.to_address)
            .where(Email.kind == "order_placed_staff_notice")
            .order_by(Email.to_address)
        ).all()
    assert notices == ["owner@ridge.example", "roaster@ridge.example"]


# --- The logo ---------------------------------------------------------------------------------------------


def image(kind: str = "PNG", size=(240, 80)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (90, 56, 37)).save(out, kind)
    return out.getvalue()


def upload(client, content: bytes, filename: str = "logo.png"):
    page = client.get("/admin/settings").get_data(as_text=True)
    return client.post(
        "/admin/settings/logo",
        data={"upload-csrf_token": csrf_from(page), "upload-logo": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def test_a_logo_is_validated_shown_on_every_page_and_served_for_a_year(app, staff_client):
    content = image()
    response = upload(staff_client, content)
    assert response.status_code == 303

    page = staff_client.get("/admin/settings").get_data(as_text=True)
    logo = re.search(
        r'<img class="brand-logo" src="(/logo/[0-9a-f]{16})" width="240" height="80" alt="">', page
    )
    assert logo, page[:2000]
    served = app.test_client().get(logo.group(1))  # no session: customers' pages show it too
    assert served.status_code == 200 and served.data == content
    assert served.headers["Content-Type"] == "image/png"
    assert "immutable" in served.headers["Cache-Control"]
    assert change_log(app)[-1][:2] == ("LOGO", "")
    assert "an image, 240×80" in page.split('id="changes"', 1)[1]

    # A new logo gets a new address; the old one is gone.
    upload(staff_client, image("JPEG", (100, 100)), "logo.jpg")
    assert app.test_client().get(logo.group(1)).status_code == 404
    page = staff_client.get("/admin/settings").get_data(as_text=True)
    assert 'width="100" height="100"' in page

    staff_client.post("/admin/settings/logo/remove", data={"csrf_token": csrf_from(page)})
    page = staff_client.get("/admin/settings").get_data(as_text=True)
    assert "brand-logo" not in page and "No logo yet" in page
    with app.app_context():
        assert db.session.scalar(select(Logo.id)) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "not an image we can read",
        ),
        (b"GIF89a" + b"\0" * 64, "not an image we can read"),
        (image("GIF"), "must be a PNG or JPEG"),
        (image("PNG", (2000, 100)), "1200 pixels on each side"),
        (image("PNG", (8, 8)), "16 to 1200 pixels"),
        (image()[:200], "not an image we can read"),  # cut short
        (b"\x89PNG" + b"\0" * (201 * 1024), "at most 200 KB"),
        (b"", "Choose a PNG or JPEG file"),
    ],
)
def test_what_is_not_a_small_png_or_jpeg_is_refused(app, staff_client, content, message):
    response = upload(staff_client, content)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Logo.id)) is None
    assert change_log(app) == []


def test_the_invoice_pdf_carries_the_logo(app, staff_client):
    from wholesale.services.invoicing.pdf_layout import PdfDocument

    upload(staff_client, image())
    with app.app_context():
        with_logo = PdfDocument("Invoice", "USD", compress=False)
        with_logo.letterhead("Invoice", [("Number", "INV-000001")])
        settings.remove_logo(db.session.get(StaffUser, 1))
        without = PdfDocument("Invoice", "USD", compress=False)
        without.letterhead("Invoice", [("Number", "INV-000001")])
        assert b"/Subtype /Image" in bytes(with_logo.pdf.output())
        assert b"/Subtype /Image" not in bytes(without.pdf.output())


def test_weights_are_shown_in_the_unit_chosen(app, staff_client):
    from wholesale.formatting import grams

    with app.app_context():
        [variant, *_] = make_catalog(coffees=1)
        db.session.commit()
        product_page = f"/admin/products/{variant.product_id}"
        assert (grams(340), grams(12340), grams(12340, exact=True)) == ("340 g", "12.34 kg", "12,340 g")
    assert ">340 g</td>" in staff_client.get(product_page).get_data(as_text=True)

    save(staff_client, weight_unit="lb")
    with app.app_context():
        assert (grams(340), grams(12340), grams(12340, exact=True)) == ("0.75 lb", "27.21 lb", "27.21 lb")
    assert ">0.75 lb</td>" in staff_client.get(product_page).get_data(as_text=True)
