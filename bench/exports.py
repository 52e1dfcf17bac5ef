"""A year's export for the accountant at the bench's data size: time and peak memory of each download.

Invoices are made from the bench's orders on this run's copy of the data, in a few ``INSERT … SELECT``
statements (the cached data, and so every other measurement, stays as it was): every order approved in the
last 365 days gets its invoice (lines as ordered, the customer's discount shared per line, 8.875 % sales tax
per line, delivery as a line of its own), one in a hundred a credit note, and each invoice a payment
allocated to it. Then each export of that year is downloaded from a fresh gunicorn started as the
Procfile's web line (its sync workers, and their timeout), as staff's browser asks for it
(``GET /admin/exports/<file>?start=…&end=…``, the body read as it streams): its time, size, whether it
arrived whole, and the workers' peak RSS (VmHWM) after it beside their RSS before the request.

``python -m bench --exports-only`` measures this alone (on the full data, cached as ``make bench`` caches
it) and adds the figures to ``bench/results.json``; ``make bench`` measures it after the web pages.
"""

from __future__ import annotations

import http.client
import io
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text

from . import server
from .rows import STAFF_EMAIL, STAFF_PASSWORD
from .visits import staff_sign_in

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
                    "(CAST(ol.quantity AS BIGINT) * ol.unit_price * o.discount_percent + 5000) / 10000, "
                    "'Sales tax', :rate, ((ol.quantity * ol.unit_price - (CAST(ol.quantity AS BIGINT) * "
                    "ol.unit_price * "
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
                    "(CAST(i.shipping AS BIGINT) * :rate + 500000) / 1000000, true FROM invoice i WHERE i.shipping > 0"
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
            last = conn.execute(text("SELECT max(issued_on) FROM invoice WHERE kind = 'invoice'")).scalar()
    finally:
        engine.dispose()
    last = date.fromisoformat(last) if isinstance(last, str) else last  # SQLite gives text
    return (last - timedelta(days=364)).isoformat(), last.isoformat()


def measure(loaded, log=print) -> dict:
    """Invoice a year on ``loaded`` (bench.data.Loaded), then download each export from a fresh server."""
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
        results[name] = row = download_from_server(loaded.url, name, start, end)
        log(
            f"  {name}: {row['seconds']:.1f} s, {row['bytes'] / 1e6:,.1f} MB, worker peak RSS "
            f"{row['peak_rss_mb']:.0f} MB ({row['rss_before_mb']:.0f} MB before the request)"
            + ("" if row["complete"] else "; INCOMPLETE: " + row["problem"])
        )
    return {"range": [start, end], "rows": made, "setup_seconds": round(setup_seconds, 1), "files": results}


def _status_kb(pid: int, field: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _reset_peak(pid: int) -> None:
    """VmHWM starts again from the process's RSS now (proc(5): clear_refs, 5)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass


def download_from_server(url: str, name: str, start: str, end: str) -> dict:
    """One export downloaded by a signed-in staff member from gunicorn started as the Procfile's web line
    (its sync workers and their timeout), the body read as it streams; the serving worker's memory."""
    srv = server.start(url, None, log=lambda _message: None)
    try:
        staff = staff_sign_in(srv.base_url, STAFF_EMAIL, STAFF_PASSWORD)
        workers = srv.worker_pids()
        for pid in workers:  # the sign-in's password hash is not the export's peak: start the peak afresh
            _reset_peak(pid)
        before = max(_status_kb(pid, "VmRSS") for pid in workers)
        parts = urlsplit(srv.base_url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
        started = time.perf_counter()
        conn.request(
            "GET", f"/admin/exports/{name}?start={start}&end={end}", headers={"Cookie": staff.cookie}
        )
        response = conn.getresponse()
        body = bytearray()
        problem = ""
        try:
            while chunk := response.read(1 << 16):
                body += chunk
        except (http.client.IncompleteRead, OSError) as error:
            problem = f"the download broke off: {error!r}"
        seconds = time.perf_counter() - started
        conn.close()
        peak = max(_status_kb(pid, "VmHWM") for pid in workers)
        if response.status != 200:
            problem = f"HTTP {response.status}"
        problem = problem or _unreadable(name, bytes(body))
        log = srv.log_path.read_text()
        if "WORKER TIMEOUT" in log:
            problem = (problem + "; " if problem else "") + "gunicorn's worker timed out"
        return {
            "seconds": round(seconds, 2),
            "bytes": len(body),
            "rss_before_mb": round(before, 1),
            "peak_rss_mb": round(peak, 1),
            "complete": not problem,
            "problem": problem,
        }
    finally:
        srv.stop()


def _unreadable(name: str, body: bytes) -> str:
    """Why the file is not whole ('' when it is): a zip must open, a CSV must end with its last row."""
    if name.endswith(".zip"):
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                archive.testzip()
        except zipfile.BadZipFile as error:
            return f"not a whole zip ({error})"
        return ""
    return "" if body.endswith(b"\r\n") else "the CSV stops mid-row"
