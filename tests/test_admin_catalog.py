"""Staff manage the catalog: products, sizes, retiring, shipping options; bad input saves nothing."""

from datetime import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from wholesale.extensions import db
from wholesale.models import Product, ShippingOption, Variant


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def guji(app, staff_client, forms):
    response = forms.post(
        "/admin/products/new",
        {"name": "Ethiopia Guji", "kind": "coffee", "roast_loss_percent": "15", "description": "Berries"},
    )
    assert response.status_code == 303
    with app.app_context():
        return db.session.scalar(select(Product.id).where(Product.name == "Ethiopia Guji"))


def add_size(forms, product_id, **overrides):
    data = {
        "variant-name": "340 g bag",
        "variant-sku": "gui-340",
        "variant-price": "14.50",
        "variant-net_weight_g": "340",
    }
    data.update({f"variant-{k}": v for k, v in overrides.items()})
    return forms.post(f"/admin/products/{product_id}/variants", data, page=f"/admin/products/{product_id}")


def test_staff_adds_a_coffee_with_two_sizes_and_sees_them_in_the_catalog(app, staff_client, forms, guji):
    assert add_size(forms, guji).status_code == 303
    assert (
        add_size(
            forms, guji, name="5 lb bag", sku="GUI-2268", price="$98.00", net_weight_g="2268"
        ).status_code
        == 303
    )

    page = staff_client.get("/admin/products").get_data(as_text=True)
    assert "Ethiopia Guji" in page and "GUI-340" in page and "$98.00" in page and "15 %" in page
    with app.app_context():
        product = db.session.get(Product, guji)
        assert product.roast_loss_percent == Decimal("15.00")
        assert [(v.sku, v.price, v.net_weight_g) for v in product.variants] == [
            ("GUI-340", Decimal("14.50"), 340),
            ("GUI-2268", Decimal("98.00"), 2268),
        ]


def test_editing_a_product_and_a_size(app, staff_client, forms, guji):
    add_size(forms, guji)
    with app.app_context():
        variant_id = db.session.scalar(select(Variant.id))
    response = forms.post(
        f"/admin/products/{guji}",
        {"name": "Ethiopia Guji Natural", "kind": "coffee", "roast_loss_percent": "16.5", "description": ""},
    )
    assert response.status_code == 303
    response = forms.post(
        f"/admin/variants/{variant_id}",
        {"name": "12 oz bag", "sku": "GUI-12OZ", "price": "15", "net_weight_g": "340"},
    )
    assert response.status_code == 303
    with app.app_context():
        variant = db.session.get(Variant, variant_id)
        assert (variant.product.name, variant.product.roast_loss_percent) == (
            "Ethiopia Guji Natural",
            Decimal("16.50"),
        )
        assert (variant.name, variant.sku, variant.price) == ("12 oz bag", "GUI-12OZ", Decimal("15.00"))


def test_retiring_keeps_the_rows_and_can_be_undone(app, staff_client, forms, guji):
    add_size(forms, guji)
    with app.app_context():
        variant_id = db.session.scalar(select(Variant.id))
    asked = forms.post(f"/admin/variants/{variant_id}/retire", page=f"/admin/products/{guji}")
    question = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Retire Ethiopia Guji, 340 g bag?" in question
    assert "Yes, retire 340 g bag" in question and f'href="/admin/products/{guji}">Cancel' in question
    with app.app_context():
        assert db.session.get(Variant, variant_id).retired_at is None  # asked, not yet retired
    retired = forms.post(
        f"/admin/variants/{variant_id}/retire", {"confirmed": "1"}, page=f"/admin/products/{guji}"
    )
    assert retired.status_code == 303
    assert forms.post(f"/admin/products/{guji}/retire", page=f"/admin/products/{guji}").status_code == 303
    page = staff_client.get("/admin/products").get_data(as_text=True)
    assert "retired" in page
    with app.app_context():
        assert count(Product) == 1 and count(Variant) == 1
        assert db.session.get(Variant, variant_id).retired_at is not None
        assert db.session.get(Product, guji).retired
    forms.post(f"/admin/products/{guji}/restore", page=f"/admin/products/{guji}")
    forms.post(f"/admin/variants/{variant_id}/restore", page=f"/admin/products/{guji}")
    with app.app_context():
        assert db.session.get(Variant, variant_id).retired_at is None


def test_other_items_have_no_roast_loss(app, staff_client, forms):
    response = forms.post(
        "/admin/products/new", {"name": "Cold brew packs", "kind": "other", "roast_loss_percent": "12"}
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Product.roast_loss_percent)) is None


BAD_PRODUCTS = [
    ({"name": "", "kind": "coffee", "roast_loss_percent": "15"}, "Enter the product&#39;s name."),
    ({"name": "   ", "kind": "coffee", "roast_loss_percent": "15"}, "Enter the product&#39;s name."),
    ({"name": "x" * 121, "kind": "coffee", "roast_loss_percent": "15"}, "Field cannot be longer than 120"),
    ({"name": "Kenya", "kind": "coffee", "roast_loss_percent": ""}, "Coffees need a roast loss"),
    ({"name": "Kenya", "kind": "coffee", "roast_loss_percent": "100"}, "Roast loss must be under 100"),
    ({"name": "Kenya", "kind": "coffee", "roast_loss_percent": "-1"}, "Enter a value from 0 to 100"),
    ({"name": "Kenya", "kind": "coffee", "roast_loss_percent": "NaN"}, "Enter a percentage as a number"),
    ({"name": "Kenya", "kind": "coffee", "roast_loss_percent": "lots"}, "Enter a percentage as a number"),
    ({"name": "Kenya", "kind": "tea", "roast_loss_percent": "15"}, "Not a valid choice"),
]


@pytest.mark.parametrize(("data", "message"), BAD_PRODUCTS)
def test_bad_product_input_is_explained_and_saves_nothing(app, staff_client, forms, data, message):
    response = forms.post("/admin/products/new", data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and "Nothing was saved" in page
    with app.app_context():
        assert count(Product) == 0


def test_a_duplicate_product_name_in_another_case_is_refused(app, staff_client, forms, guji):
    response = forms.post(
        "/admin/products/new", {"name": "ethiopia guji", "kind": "coffee", "roast_loss_percent": "15"}
    )
    assert response.status_code == 400
    assert "A product with this name already exists." in response.get_data(as_text=True)
    with app.app_context():
        assert count(Product) == 1


BAD_SIZES = [
    ({"price": "-1"}, "Enter a value from 0 to 100000"),
    ({"price": "abc"}, "Enter a price as a number"),
    ({"price": "NaN"}, "Enter a price as a number"),
    ({"price": "1e999"}, "Enter a value from 0 to 100000"),
    ({"price": "Infinity"}, "Enter a price as a number"),
    ({"price": "1.234"}, "Use at most two decimal places."),
    ({"price": ""}, "Enter the wholesale price."),
    ({"net_weight_g": "1.5"}, "Enter a whole number."),
    ({"net_weight_g": "-340"}, "Enter a whole number from 1 to 100,000."),
    ({"net_weight_g": "99999999999"}, "Enter a whole number from 1 to 100,000."),
    ({"net_weight_g": "1e3"}, "Enter a whole number."),
    ({"sku": "has space"}, "Use letters, digits"),
    ({"sku": ""}, "Enter a SKU."),
    ({"name": ""}, "Enter the size"),
]


@pytest.mark.parametrize(("overrides", "message"), BAD_SIZES)
def test_bad_size_input_is_explained_and_saves_nothing(app, staff_client, forms, guji, overrides, message):
    response = add_size(forms, guji, **overrides)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert count(Variant) == 0


def test_a_duplicate_sku_is_refused_even_in_another_case(app, staff_client, forms, guji):
    assert add_size(forms, guji).status_code == 303
    response = add_size(forms, guji, sku="GUI-340", name="Other")
    assert response.status_code == 400
    assert "This SKU is already used by another size." in response.get_data(as_text=True)
    with app.app_context():
        assert count(Variant) == 1


def test_shipping_options_are_added_and_edited(app, staff_client, forms):
    calendar = {
        "weekdays": ["1", "4"],
        "cutoff_days_before": "2",
        "cutoff_time": "17:00",
        "roast_days_before": "1",
    }
    response = forms.post(
        "/admin/shipping-options",
        {"name": "Courier", "fee": "12", "position": "1", "active": "y", **calendar},
    )
    assert response.status_code == 303
    with app.app_context():
        option_id = db.session.scalar(select(ShippingOption.id))
        option = db.session.get(ShippingOption, option_id)
        assert (option.weekdays, option.cutoff_days_before, option.cutoff_time) == ((1, 4), 2, time(17, 0))
    page = staff_client.get("/admin/shipping-options").get_data(as_text=True)
    assert "Tue, Fri" in page and "2 days before, 17:00" in page
    edited = {"name": "Courier (same day)", "fee": "15.5", "position": "2", "weekdays": ["0", "1", "2", "3"]}
    response = forms.post(
        f"/admin/shipping-options/{option_id}",
        {**edited, "cutoff_days_before": "0", "cutoff_time": "09:30", "roast_days_before": "0"},
    )
    assert response.status_code == 303
    with app.app_context():
        option = db.session.get(ShippingOption, option_id)
        assert (option.name, option.fee, option.active) == ("Courier (same day)", Decimal("15.50"), False)
        assert (option.weekdays, option.cutoff_days_before, option.cutoff_time) == (
            (0, 1, 2, 3),
            0,
            time(9, 30),
        )
        assert option.roast_days_before == 0
    bad = forms.post("/admin/shipping-options", {"name": "Van", "fee": "-3", "position": "0", **calendar})
    assert bad.status_code == 400 and "Enter a value from 0" in bad.get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"weekdays": []}, "Choose at least one day it delivers."),
        ({"weekdays": ["7"]}, "is not a valid choice"),
        ({"weekdays": ["x"]}, "Invalid choice(s)"),
        ({"cutoff_days_before": "15"}, "Enter a whole number from 0 to 14."),
        ({"cutoff_days_before": ""}, "Enter how many days before delivery orders close"),
        ({"cutoff_time": "25:00"}, "Not a valid time value."),
        ({"roast_days_before": "-1"}, "Enter a whole number from 0 to 14."),
    ],
)
def test_a_bad_delivery_calendar_is_explained_and_saves_nothing(app, staff_client, forms, overrides, message):
    fields = {"name": "Van", "fee": "0", "position": "0", "weekdays": ["1"], "cutoff_days_before": "1"}
    fields |= {"cutoff_time": "17:00", "roast_days_before": "1", **overrides}
    response = forms.post("/admin/shipping-options", fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert count(ShippingOption) == 0


def test_unknown_ids_are_404(staff_client, forms):
    assert staff_client.get("/admin/products/999").status_code == 404
    assert staff_client.get("/admin/variants/999").status_code == 404
    assert staff_client.get("/admin/shipping-options/999").status_code == 404
