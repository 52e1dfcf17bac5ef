"""A year's export for the accountant at the bench's data size: time and peak memory of each download.

Invoices are made from the bench's orders on this run's copy of the data, in a few ``INSERT … SELECT``
statements (the cached data, and so every other measurement, stays as it was): every order approved in the
last 365 days gets its invoice (lines as ordered, the customer's discount shared per line, 8.875 % sales tax
per line, delivery as a line of its own), one in a hundred a credit note, and each invoice a payment
allocated to it. Then each export of that year is downloaded in a fresh process, as staff's browser asks for
it (``GET /admin/exports/<file>?start=…&end=…`` through the app, the body read as it streams), and timed;
the process's peak RSS (VmHWM) is read after it, beside the same process's RSS before the request.

``python -m bench --exports-only`` measures this alone (on the full data, cached as ``make bench`` caches
it) and adds the figures to ``bench/results.json``; ``make bench`` measures it after the web pages.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from .rows import STAFF_EMAIL

ROOT = Path(__file__).resolve().parent.parent
EXPORT_FILES = (
    "xero-invoices.zip",
    "quickbooks-invoices.csv",
    "invoices.csv",
    "credit-notes.csv",
    "payments.csv",
)
TAX_RATE = 88750  # 8.875 %, in ten-thousandths of a percent as the tax_rate column holds it


def _sql(dialect: str) -> dict[str, str]:
    """The few date expressions that differ between PostgreSQL and SQLite."""
    if dialect == "postgresql":
        return {
            "day": "CAST(o.approved_at AS DATE)",
            "due": "CAST(o.approved_at AS DATE) + 14",
            "since": "now() - interval '365 days'",
        }
    return {
        "day": "date(o.approved_at)",
        "due": "date(o.approved_at, '+14 days')",
        "since": "datetime('now', '-365 days')",
    }


def add_invoices(url: str) -> dict[str, int]:
    """Invoice a year of the bench's orders on the database at ``url``; how many of each were made."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            sql = _sql(conn.dialect.name)
            conn.execute(
                text(
                    "INSERT INTO invoice (id, kind, number, sequence_value, customer_id, order_id, issued_on, "
                    "terms_days, due_on, bill_to_name, bill_to_email, bill_to_address, prices_include_tax, "
                    "tax_exempt_certificate, currency, subtotal, discount, shipping, tax, total, reason, "
                    "created_at) "
                    f"SELECT o.id, 'invoice', 'INV-' || o.id, o.id, o.customer_id, o.id, {sql['day']}, 14, "
                    f"{sql['due']}, c.business_name, "
                    "(SELECT min(email) FROM contact WHERE contact.customer_id = o.customer_id), "
                    "c.delivery_address, false, '', 'USD', o.subtotal, 0, o.shipping_fee, 0, 0, '', "
                    "o.approved_at "
                    'FROM "order" o JOIN customer c ON c.id = o.customer_id '
                    "WHERE o.status IN ('approved', 'in_production', 'fulfilled') "
                    f"AND o.approved_at >= {sql['since']}"
                )
            )
            # Each line's share of the customer's discount percent (in hundredths), rounded half up; its tax
            # on what is left, rounded half up: whole cents throughout, as the columns hold them.
            conn.execute(
                text(
                    "INSERT INTO invoice_line (invoice_id, position, sku, description, quantity, unit_price, "
                    "amount, discount, tax_name, tax_rate, tax, is_shipping) "
                    "SELECT ol.order_id, ROW_NUMBER() OVER (PARTITION BY ol.order_id ORDER BY ol.id), v.sku, "
                    "p.name || ' · ' || v.name, ol.quantity, ol.unit_price, ol.quantity * ol.unit_price, "
                    "(ol.quantity * ol.unit_price * o.discount_percent + 5000) / 10000, 'Sales tax', "
                    ":rate, ((ol.quantity * ol.unit_price - (ol.quantity * ol.unit_price * "
                    "o.discount_percent + 5000) / 10000) * :rate + 500000) / 1000000, false "
                    "FROM order_line ol JOIN invoice i ON i.id = ol.order_id "
                    'JOIN "order" o ON o.id = ol.order_id '
                    "JOIN variant v ON v.id = ol.variant_id JOIN product p ON p.id = v.product_id"
                ),
                {"rate": TAX_RATE},
            )
            conn.execute(
                text(
                    "INSERT INTO invoice_line (invoice_id, position, sku, description, quantity, unit_price, "
                    "amount, discount, tax_name, tax_rate, tax, is_shipping) "
                    "SELECT i.id, 1000, '', 'Delivery', 1, i.shipping, i.shipping, 0, 'Sales tax', :rate, "
                    "(i.shipping * :rate + 500000) / 1000000, true FROM invoice i WHERE i.shipping > 0"
                ),
                {"rate": TAX_RATE},
            )
            conn.execute(
                text(
                    "UPDATE invoice SET discount = s.discount, tax = s.tax, "
                    "total = invoice.subtotal - s.discount + invoice.shipping + s.tax "
                    "FROM (SELECT invoice_id, sum(discount) AS discount, sum(tax) AS tax FROM invoice_line "
                    "GROUP BY invoice_id) s WHERE s.invoice_id = invoice.id"
                )
            )
            first = conn.execute(text("SELECT max(id) FROM invoice")).scalar() or 0
            conn.execute(
                text(
                    "INSERT INTO invoice (id, kind, number, sequence_value, customer_id, order_id, "
                    "credited_invoice_id, issued_on, terms_days, due_on, bill_to_name, bill_to_email, "
                    "bill_to_address, prices_include_tax, tax_exempt_certificate, currency, subtotal, discount, "
                    "shipping, tax, total, reason, created_at) "
                    "SELECT :first + i.id, 'credit_note', 'CN-' || i.id, i.id, i.customer_id, i.order_id, i.id, "
                    "i.due_on, 0, i.due_on, i.bill_to_name, i.bill_to_email, i.bill_to_address, false, '', "
                    "'USD', i.subtotal, i.discount, i.shipping, i.tax, i.total, 'Bench: returned', i.created_at "
                    "FROM invoice i WHERE i.kind = 'invoice' AND i.id % 100 = 0"
                ),
                {"first": first},
            )
            conn.execute(
                text(
                    "INSERT INTO payment (id, customer_id, received_on, amount, method, reference, notes, "
                    "created_at) SELECT i.id, i.customer_id, i.due_on, i.total, 'bank transfer', "
                    "'BACS ' || i.number, '', i.created_at FROM invoice i "
                    "WHERE i.kind = 'invoice' AND i.total > 0"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO payment_allocation (payment_id, invoice_id, amount) "
                    "SELECT p.id, p.id, p.amount FROM payment p"
                )
            )
            made = {
                table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                for table in ("invoice", "invoice_line", "payment", "payment_allocation")
            }
            if conn.dialect.name == "postgresql":
                for table in ("invoice", "invoice_line", "payment", "payment_allocation"):
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                        )
                    )
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        return made
    finally:
        engine.dispose()


def year_range(url: str) -> tuple[str, str]:
    """The 365 days the invoices were made for, as ISO dates (the last issue day and a year before it)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            last = conn.execute(text("SELECT max(issued_on) FROM invoice")).scalar()
    finally:
        engine.dispose()
    last = date.fromisoformat(last) if isinstance(last, str) else last  # SQLite gives text
    return (last - timedelta(days=364)).isoformat(), last.isoformat()


def measure(loaded, log=print) -> dict:
    """Invoice a year on ``loaded`` (bench.data.Loaded), then download each export in a process of its own."""
    started = time.perf_counter()
    made = add_invoices(loaded.url)
    setup_seconds = time.perf_counter() - started
    start, end = year_range(loaded.url)
    log(
        f"  invoiced a year ({start} to {end}): {made['invoice']:,} invoices and credit notes with "
        f"{made['invoice_line']:,} lines, {made['payment']:,} payments, in {setup_seconds:.1f} s"
    )
    results = {}
    for name in EXPORT_FILES:
        outcome = subprocess.run(
            [sys.executable, "-m", "bench.exports", loaded.url, name, start, end],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if outcome.returncode != 0:
            raise RuntimeError(f"exporting {name} failed:\n{outcome.stderr[-3000:]}")
        results[name] = json.loads(outcome.stdout.strip().splitlines()[-1])
        row = results[name]
        log(
            f"  {name}: {row['seconds']:.1f} s, {row['bytes'] / 1e6:,.1f} MB, peak RSS {row['peak_rss_mb']:.0f} MB "
            f"({row['rss_before_mb']:.0f} MB before the request)"
        )
    return {"range": [start, end], "rows": made, "setup_seconds": round(setup_seconds, 1), "files": results}


def _rss(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def download_once(url: str, name: str, start: str, end: str) -> dict:
    """One export, downloaded through the app as a signed-in staff member; the body read as it streams."""
    from sqlalchemy import select

    from wholesale import create_app
    from wholesale.extensions import db
    from wholesale.models import StaffUser

    app = create_app({"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})
    with app.app_context():
        staff_id = db.session.scalar(select(StaffUser.id).where(StaffUser.email == STAFF_EMAIL))
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as session:
        session["staff_id"] = staff_id
    before = _rss("VmRSS")
    started = time.perf_counter()
    response = client.get(f"/admin/exports/{name}", query_string={"start": start, "end": end}, buffered=False)
    size = sum(len(chunk) for chunk in response.response)
    response.close()
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{name}: HTTP {response.status_code}")
    return {
        "seconds": round(seconds, 2),
        "bytes": size,
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(_rss("VmHWM"), 1),
    }


if __name__ == "__main__":
    print(json.dumps(download_once(*sys.argv[1:5])))
