"""What an invoice's PDF costs: a 60-line invoice (60 sizes, 10 % off, delivery, two tax rates) made into its
PDF as staff's download and the invoice email make it (``services.invoicing.pdf.invoice_pdf``).

Measured in a process of its own, on an in-memory SQLite database (the PDF's cost is fpdf2's layout, not the
few statements that read the invoice): the first PDF (which imports fpdf2 and its dependencies), then the
median of ``RUNS`` more, each reading the invoice afresh; the peak of Python allocations while making one
(tracemalloc), and how much the process's peak RSS (VmHWM) grew from before the first PDF to after the last.

``python -m bench.documents`` prints the figures as JSON; ``make bench`` runs it and reports them.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

LINES = 60
RUNS = 20
ROOT = Path(__file__).resolve().parent.parent


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _sixty_line_invoice():
    from wholesale.extensions import db
    from wholesale.models import Customer, Order, OrderLine, Product, StaffUser, Variant
    from wholesale.services.invoicing.issuing import issue_invoice
    from wholesale.services.orders.pricing import apply_totals

    db.session.add(StaffUser(email="bench@hillside.example", name="Bench", password_hash="x"))
    customer = Customer(business_name="Bench Café", delivery_address="1 Long Street\nPortland, OR 97201")
    order = Order(
        customer=customer,
        channel="staff",
        status="approved",
        discount_percent=Decimal("10"),
        shipping_fee=Decimal("12.00"),
    )
    for n in range(LINES):
        product = Product(
            name=f"Single origin {n:02d} — washed, light roast",
            kind="coffee",
            roast_loss_percent=Decimal("15"),
            tax_rate_name="Reduced" if n % 3 else "",
        )
        variant = Variant(
            product=product, name="5 lb bag", sku=f"SO{n:02d}-2268", price=Decimal("82.00"), net_weight_g=2268
        )
        order.lines.append(OrderLine(variant=variant, quantity=1 + n % 7, unit_price=variant.price))
    apply_totals(order)
    db.session.add(order)
    invoice = issue_invoice(order, None)
    db.session.commit()
    return invoice.id


def measure() -> dict:
    from wholesale import create_app
    from wholesale.extensions import db
    from wholesale.models import Invoice

    app = create_app(
        {
            "ENV_NAME": "development",
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "REDIS_URL": None,
            "TAX_RATES": "VAT 20%, Reduced 5%",
        }
    )
    with app.app_context():
        db.create_all()
        invoice_id = _sixty_line_invoice()
        from wholesale.services.invoicing.pdf import invoice_pdf  # fpdf2 itself is imported by the first PDF

        def one() -> tuple[float, int]:
            db.session.expire_all()
            started = time.perf_counter()
            data = invoice_pdf(db.session.get(Invoice, invoice_id))
            return (time.perf_counter() - started) * 1000, len(data)

        rss_before = _peak_rss_mb()
        first_ms, size = one()
        times = [one()[0] for _ in range(RUNS)]
        tracemalloc.start()
        one()
        _, python_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_after = _peak_rss_mb()
        pages = invoice_pdf(db.session.get(Invoice, invoice_id), compress=False).count(b"/Type /Page\n")
    return {
        "lines": LINES,
        "runs": RUNS,
        "median_ms": round(statistics.median(times), 1),
        "p90_ms": round(sorted(times)[int(len(times) * 0.9) - 1], 1),
        "first_ms": round(first_ms, 1),
        "bytes": size,
        "pages": pages,
        "python_peak_mb": round(python_peak / 2**20, 2),
        "rss_growth_mb": round(rss_after - rss_before, 1),
        "rss_peak_mb": round(rss_after, 1),
    }


def describe(result: dict) -> str:
    return (
        f"PDF of a {result['lines']}-line invoice ({result['pages']} pages, {result['bytes'] / 1024:.0f} kB): "
        f"median {result['median_ms']:.0f} ms over {result['runs']} (p90 {result['p90_ms']:.0f} ms; the first, "
        f"importing fpdf2, {result['first_ms']:.0f} ms); peak Python allocations while making one "
        f"{result['python_peak_mb']:.1f} MB; the process's peak RSS grew {result['rss_growth_mb']:.1f} MB "
        f"to {result['rss_peak_mb']:.0f} MB."
    )


def invoice_pdf_in_subprocess() -> dict:
    """``measure`` in a fresh process, so its memory figures are the PDF's alone."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.documents"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        return {"skipped": f"the PDF measurement failed (exit {done.returncode}): {done.stderr[-500:]}"}
    return json.loads(line[len("BENCH_JSON ") :])


if __name__ == "__main__":
    result = measure()
    print("BENCH_JSON " + json.dumps(result), flush=True)
    print(describe(result), file=sys.stderr)
