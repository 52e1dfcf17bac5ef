"""``make bench`` (``python -m bench``): what users feel, side by side with the limit, on data at scale.

The run: find the services, load (or reuse) the data, count SQL per page at two data sizes, start gunicorn as
the Procfile does, sign in customers and staff over HTTP, load each page from wrk, weigh the order page's
first load, read the workers' peak memory, reorder on an emulated phone, then print the table and write
``bench/results.json``. Pages that miss a target are profiled (py-spy) and the summary goes in the results.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from . import data, documents, exports, fanout, pages, phone, queries, report, server, services, web, weight
from .visits import Visit, open_links, staff_sign_in

PROFILES = Path(__file__).resolve().parent / "results"


def log(message: str) -> None:
    print(message, flush=True)


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database",
        choices=("auto", "postgres", "sqlite"),
        default="auto",
        help="auto: DATABASE_URL, else PostgreSQL at 127.0.0.1:5432 if it answers, else SQLite",
    )
    parser.add_argument("--seconds", type=float, default=15, help="measured load per page (default 15)")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up per page, not measured (default 3)")
    parser.add_argument("--quick", action="store_true", help="4 s per page, 1 s warm-up, one phone run")
    parser.add_argument(
        "--profile",
        choices=("missed", "all", "none"),
        default="missed",
        help="profile pages that miss a target (default), every page, or none",
    )
    parser.add_argument(
        "--pages",
        help="measure only these pages (keys, comma-separated, e.g. order_page,quantity_change); /ping always",
    )
    parser.add_argument("--no-phone", action="store_true", help="skip the phone reorder")
    parser.add_argument("--no-fanout", action="store_true", help="skip the reminder fan-out")
    parser.add_argument("--no-exports", action="store_true", help="skip the year's export for the accountant")
    parser.add_argument(
        "--exports-only",
        action="store_true",
        help="measure only the year's export (full data) and add it to the last results",
    )
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF of a 60-line invoice")
    parser.add_argument("--keep", action="store_true", help="keep this run's databases (to look at them)")
    parser.add_argument("--forget-cache", action="store_true", help="drop the cached data and exit")
    parser.add_argument("--output", type=Path, default=report.RESULTS, help="where to write the results")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.warmup = 4, 1
    if args.pages:
        known = {page.key for page in pages.PAGES}
        unknown = set(args.pages.split(",")) - known
        if unknown:
            parser.error(f"unknown page {', '.join(sorted(unknown))}; pages: {', '.join(sorted(known))}")
    return args


def pick_customers(app, count: int) -> list[str]:
    """Sign-in links for ``count`` customers with an order history, newest customers first.

    (The SQL count uses the first customers by id; the load takes them from the other end.)
    """
    from sqlalchemy import func, select

    from wholesale.extensions import db
    from wholesale.models import Contact, Order
    from wholesale.services.customers.links import login_url

    with app.app_context():
        first_contacts = select(func.min(Contact.id)).group_by(Contact.customer_id)
        ordering = select(Order.customer_id).where(Order.status != "draft").distinct()
        contacts = db.session.scalars(
            select(Contact)
            .where(Contact.id.in_(first_contacts), Contact.customer_id.in_(ordering))
            .order_by(Contact.customer_id.desc())
            .limit(count)
        ).all()
        links = [login_url(contact, "reminder") for contact in contacts]
        db.session.remove()
    return links


def backend_pids(app):
    """The PostgreSQL backends serving the bench's database (their CPU is ours, not another tenant's)."""
    from sqlalchemy import text

    from wholesale.extensions import db

    def pids() -> list[int]:
        if db.engine.dialect.name != "postgresql":
            return []
        with app.app_context():
            with db.engine.connect() as conn:
                return list(
                    conn.execute(
                        text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
                    ).scalars()
                )

    def safe() -> list[int]:
        try:
            with app.app_context():
                return pids()
        except Exception:
            return []

    return safe


def run(args) -> dict:
    started = time.perf_counter()
    log("== bench: finding services")
    database = services.find_database(None if args.database == "auto" else args.database)
    redis_url = services.find_redis()
    wrk = services.ensure_wrk(log)
    version = services.database_version(database)
    log(
        f"  database: {version}{'' if database == 'sqlite' else ' at ' + database.split('@')[-1]}; "
        f"redis: {redis_url or 'none'}; load generator: {'wrk' if wrk else 'python'}"
    )
    results: dict = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": services.machine(),
        "database": version,
        "redis": bool(redis_url),
    }

    log("== data")
    small = data.prepare(database, data.SMALL, log=log)
    full = data.prepare(database, data.FULL, log=log)
    results["data"] = {
        "scale": full.scale.describe(),
        "rows": full.rows,
        "summary": data.summary(full.rows),
        "load_seconds": round(full.load_seconds, 1),
        "cached": full.cached,
        "copy_seconds": round(full.copy_seconds, 1),
        "small_summary": data.summary(small.rows),
        "small_rows": small.rows,
    }
    log(
        f"  {results['data']['summary']}: loaded in {full.load_seconds:.1f} s"
        f"{' (from the cache)' if full.cached else ''}, copied in {full.copy_seconds:.1f} s"
    )

    srv = None
    try:
        log("== SQL statements per request (in-process)")
        counts, lines = {}, None
        try:
            for loaded in (small, full):  # the same size of last order at both sizes of data
                counted = queries.count_in_subprocess(loaded.url, redis_url, data.STAFF_EMAIL, lines)
                counts[loaded.scale.name] = counted
                lines = counts[loaded.scale.name]["order_page_first_open"]["lines"]
        except RuntimeError as error:  # reported, and the rest of the run goes on
            log(f"  {error}")
            counts = {"error": str(error)[-2000:]}
        results["queries"] = counts
        if "full" in counts:
            small_full = (
                f"{k}: {counts['small'][k]['statements']} → {counts['full'][k]['statements']}"
                for k in counts["full"]
            )
            log("  " + ", ".join(small_full))

        log("== web")
        srv = server.start(full.url, redis_url, log=log)
        app = server.in_process_app(full.url, redis_url, srv.base_url)
        # Different customers for each page: 60 whose order page is read, 60 whose lines change (30 per wrk
        # thread, 10 requests in flight per thread: never two on one draft), 20 who place, 3 phones.
        readers, changers, placers, phones = 60, 60, 20, 3
        links = pick_customers(app, readers + changers + placers + phones)
        t0 = time.perf_counter()
        visits = open_links(srv.base_url, links[: readers + changers + placers])
        staff = staff_sign_in(srv.base_url, data.STAFF_EMAIL, data.STAFF_PASSWORD)
        log(
            f"  signed in {len(visits)} customers (their drafts made) and one staff member in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        groups = {
            "customer": visits[:readers],
            "quantity_change": [v for v in visits[readers : readers + changers] if v.lines],
            "place_order": visits[readers + changers :],
            "staff": [staff],
            "anyone": [Visit(cookie="")],
        }
        results["first_load"] = weight.first_load(srv.base_url, visits[0])

        contexts = {page.key: page.discover(app) for page in pages.PAGES}
        plan = [p for p in pages.PAGES if p.key != "ping" and contexts[p.key] is not None]
        if args.pages:
            plan = [p for p in plan if p.key in args.pages.split(",")]
        missing = [p.title for p in pages.PAGES if contexts[p.key] is None]
        if missing:
            log(f"  not in this checkout, so not measured: {', '.join(missing)}")
        ping = next(p for p in pages.PAGES if p.key == "ping")
        quiet = services.wait_for_quiet(backend_pids(app), log=log)
        watch = services.CpuWatch(backend_pids(app))
        web_results, ping_runs, profiles = {}, [], {}
        for page in [ping, *plan, ping]:
            who = groups.get(page.key) or groups[page.visitor]
            srv.wait_until_idle()
            result = web.load_page(page, srv.base_url, who, args.seconds, args.warmup, contexts[page.key])
            log(
                f"  {page.title}: {result.rps:,.0f} req/s, p50 {result.p50_ms} ms, p99 {result.p99_ms} ms, "
                f"errors {result.errors}"
            )
            if page.key == "ping":
                ping_runs.append(result.rps)
            web_results[page.key] = {
                **result.as_dict(),
                "title": page.title,
                "target_share": page.target_share,
                "target_p99_ms": page.target_p99_ms,
                # The workers' peak memory so far: which page raises it shows where a peak comes from.
                "worker_peak_mb_after": round(max(srv.worker_peak_rss_mb(), default=0), 1),
            }
        others = watch.others_cores()
        ping_rps = sum(ping_runs) / len(ping_runs)
        web_results["ping"]["rps"] = round(ping_rps, 1)
        for row in web_results.values():
            row["share_of_ping"] = round(row["rps"] / ping_rps, 3) if ping_rps else 0.0
        results["web"] = web_results
        results["load"] = {
            "tool": "wrk" if wrk else "python",
            "connections": web.CONNECTIONS,
            "seconds": args.seconds,
            "warmup": args.warmup,
            "workers": server.WORKERS,
            "ping_runs": ping_runs,
            "others_cores": others,
            "others_cores_before": quiet,
            "place_order": "wrk Lua state machine per connection: GET /order, then POST place "
            "(only the POSTs are reported)",
        }
        srv.wait_until_idle()
        results["memory"] = {"web_worker_peak_mb": [round(v, 1) for v in srv.worker_peak_rss_mb()]}

        if args.profile != "none":
            from . import profile

            for page in plan:
                row = web_results[page.key]
                missed = row["target_share"] and (
                    row["share_of_ping"] < row["target_share"]
                    or (row["p99_ms"] or 1e9) >= row["target_p99_ms"]
                )
                if args.profile == "all" or missed:
                    who = groups.get(page.key) or groups[page.visitor]
                    pid = srv.worker_pids()[0]
                    srv.wait_until_idle()
                    log(f"  profiling {page.title} (py-spy on worker {pid}) …")

                    def load(page=page, who=who, context=contexts[page.key]):
                        return web.load_page(page, srv.base_url, who, 10, 0, context)

                    _, summary = profile.during(load, pid, 8, PROFILES, page.key)
                    profiles[page.key] = summary
            results["profiles"] = profiles

        if args.no_phone:
            results["phone"] = {"skipped": "--no-phone"}
        elif phone.available():
            results["phone"] = {"skipped": phone.available()}
        else:
            log("== phone reorder (Chromium, 390×844, CPU ÷4, 150 ms RTT, 1.6 Mbit/s)")
            phone_links = links[-phones:][: 1 if args.quick else phones]
            results["phone"] = phone.reorder_on_phone(phone_links)
            log(f"  {results['phone']['ms']:,} ms, {results['phone']['taps']} taps")
        _dispose(app)
        if args.no_exports:
            results["exports"] = {"skipped": "--no-exports"}
        else:
            srv.stop()  # the export is measured on its own, with nothing else running
            srv = None
            log("== a year's export for the accountant")
            results["exports"] = exports.measure(full, log=log)
    finally:
        if srv is not None:
            srv.stop()
        services.forget_queue(redis_url, server.app_environment("", None, "")["RQ_QUEUE"])
        if not args.keep:
            for loaded in (small, full):
                data.drop_working_copy(loaded)

    if args.no_fanout:
        results["fanout"] = {"skipped": "--no-fanout"}
    elif fanout.available():
        results["fanout"] = {"skipped": fanout.available()}
    else:
        log(f"== reminder fan-out ({fanout.FANOUT.customers:,} customers due, one tick)")
        loaded = data.prepare(database, fanout.FANOUT, log=log)
        try:
            results["fanout"] = fanout.reminder_fanout(loaded, redis_url, log=log)
        finally:
            if not args.keep:
                data.drop_working_copy(loaded)
        results["fanout"]["data"] = data.summary(loaded.rows)
        if results["fanout"].get("worker_peak_mb"):
            results["memory"]["rq_worker_peak_mb"] = results["fanout"]["worker_peak_mb"]
            results["memory"]["rq_job_peak_mb"] = results["fanout"]["job_peak_mb"]
        log("  " + results["fanout"]["description"])
    if args.no_pdf:
        results["invoice_pdf"] = {"skipped": "--no-pdf"}
    else:
        log(f"== invoice PDF ({documents.LINES} lines, in a process of its own)")
        results["invoice_pdf"] = documents.invoice_pdf_in_subprocess()
        log("  " + (results["invoice_pdf"].get("skipped") or documents.describe(results["invoice_pdf"])))
    results["targets"] = report.targets(results)
    results["seconds"] = round(time.perf_counter() - started, 1)
    return results


def _dispose(app) -> None:
    from wholesale.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def exports_only(args) -> int:
    """The year's export alone, on the full data; its figures replace the last results' (the rest stays)."""
    database = services.find_database(None if args.database == "auto" else args.database)
    log("== data")
    full = data.prepare(database, data.FULL, log=log)
    try:
        log("== a year's export for the accountant")
        measured = exports.measure(full, log=log)
    finally:
        if not args.keep:
            data.drop_working_copy(full)
    results = report.read(args.output)
    results["exports"] = measured
    report.write(results, args.output)
    print()
    print(report.describe_exports(measured))
    print(f"\nWrote the export's figures into {args.output}")
    return 0


def main(argv=None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.forget_cache:
        database = services.find_database(None if args.database == "auto" else args.database)
        data.forget_cache(database)
        print("Dropped the cached bench data.")
        return 0
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    if args.exports_only:
        return exports_only(args)
    results = run(args)
    report.write(results, args.output)
    print()
    print(report.describe(results))
    print(f"\nWrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
