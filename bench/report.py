"""The table a run prints, the targets it checks, and the same as Markdown for the README.

``python -m bench.report [--markdown] [bench/results.json]`` prints a saved run again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .documents import describe as describe_pdf

RESULTS = Path(__file__).resolve().parent / "results.json"

P99_TARGET_MS = 100  # for results written before pages carried their own
WORKER_TARGET_MB = 120
PHONE_TARGET_MS = 4000
PHONE_TAPS = 2
FANOUT_TARGET_SHARE = 0.30


def targets(results: dict) -> list[dict]:
    """Each target of the issue with what this run measured; "met" is None where it was not measured."""
    checks = []
    web = results.get("web", {})
    for row in web.values():
        if row.get("target_share"):
            checks.append(
                {
                    "what": f"{row['title']}: throughput ≥ {row['target_share']:.0%} of /ping",
                    "measured": f"{row['share_of_ping']:.1%}",
                    "met": row["share_of_ping"] >= row["target_share"],
                }
            )
            p99, limit = row["p99_ms"], row.get("target_p99_ms") or P99_TARGET_MS
            checks.append(
                {
                    "what": f"{row['title']}: p99 < {limit:.0f} ms at 20 connections",
                    "measured": f"{p99:.0f} ms" if p99 is not None else "unknown (timeouts)",
                    "met": p99 is not None and p99 < limit,
                }
            )
    queries = results.get("queries", {})
    if queries.get("small") and queries.get("full"):
        grown = [
            k
            for k in queries["full"]
            if queries["full"][k]["statements"] != queries["small"].get(k, {}).get("statements")
        ]
        checks.append(
            {
                "what": "SQL statements per request flat in data size",
                "measured": "flat" if not grown else "grows: " + ", ".join(grown),
                "met": not grown,
            }
        )
    peaks = results.get("memory", {}).get("web_worker_peak_mb")
    if peaks:
        checks.append(
            {
                "what": f"web worker peak RSS < {WORKER_TARGET_MB} MB",
                "measured": f"{max(peaks):.0f} MB",
                "met": max(peaks) < WORKER_TARGET_MB,
            }
        )
    rq_peak = results.get("memory", {}).get("rq_worker_peak_mb")
    if rq_peak:
        checks.append(
            {
                "what": f"RQ worker peak RSS < {WORKER_TARGET_MB} MB",
                "measured": f"{rq_peak:.0f} MB",
                "met": rq_peak < WORKER_TARGET_MB,
            }
        )
    phone = results.get("phone") or {}
    if phone.get("ms") is not None:
        checks.append(
            {
                "what": f"phone reorder < {PHONE_TARGET_MS / 1000:.0f} s with {PHONE_TAPS} taps",
                "measured": f"{phone['ms']:,} ms, {phone['taps']} taps",
                "met": phone["ms"] < PHONE_TARGET_MS and phone["taps"] == PHONE_TAPS,
            }
        )
    fanout = results.get("fanout") or {}
    if fanout.get("share_of_plain_loop") is not None:
        checks.append(
            {
                "what": f"reminder fan-out ≥ {FANOUT_TARGET_SHARE:.0%} of a plain send loop",
                "measured": f"{fanout['share_of_plain_loop']:.0%}",
                "met": fanout["share_of_plain_loop"] >= FANOUT_TARGET_SHARE,
            }
        )
    return checks


def _n(value, digits=0) -> str:
    return f"{value:,.{digits}f}" if isinstance(value, (int, float)) else "–"


def web_rows(results: dict) -> list[list[str]]:
    queries = results.get("queries", {})
    small, full = queries.get("small", {}), queries.get("full", {})
    rows = []
    for key, row in results.get("web", {}).items():
        share = "100 %" if key == "ping" else f"{row['share_of_ping']:.0%}"
        if row.get("target_share"):
            share += f" (≥{row['target_share']:.0%})"
        sql = f"{small.get(key, {}).get('statements', '–')} → {full.get(key, {}).get('statements', '–')}"
        errors = str(row["errors"])
        detail = row.get("error_detail", {})
        if detail.get("timeout") or detail.get("unanswered"):
            errors += f" ({detail.get('timeout', 0) + detail.get('unanswered', 0)} unanswered)"
        p99 = _n(row["p99_ms"], 1) if row["p99_ms"] is not None else ("> 30 s" if row["errors"] else "–")
        page = full.get(key, {})
        rows.append(
            [
                row["title"],
                _n(row["rps"]),
                share,
                _n(row["p50_ms"], 1),
                p99,
                errors,
                sql,
                _n(page.get("bytes")),
                _n(page.get("alone_ms"), 1),
            ]
        )
    first = (small.get("order_page_first_open") or {}).get("statements")
    if first is not None:
        rows.append(
            [
                "order page, first open of the week (makes the draft)",
                "",
                "",
                "",
                "",
                "",
                f"{first} → {full['order_page_first_open']['statements']}",
                _n(full["order_page_first_open"]["bytes"]),
                _n(full["order_page_first_open"].get("alone_ms"), 1),
            ]
        )
    return rows


HEADER = [
    "page",
    "req/s",
    "share of /ping",
    "p50 ms",
    "p99 ms",
    "errors",
    "SQL/request small → full",
    "bytes",
    "alone ms",
]


def _text_table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    lines = []
    for r in [HEADER, *rows]:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _markdown_table(rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(HEADER) + " |", "|" + "|".join(["---"] + ["---:"] * (len(HEADER) - 1)) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def describe(results: dict, markdown: bool = False) -> str:
    m, data = results["machine"], results["data"]
    lines = []
    lines.append(
        f"Run {results['when']} on {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB; "
        f"{results['database']}; Redis: {'yes' if results.get('redis') else 'no (jobs in-process)'}."
    )
    cache = (
        f"from the cache, copied in {data['copy_seconds']:.1f} s"
        if data["cached"]
        else f"copied for this run in {data['copy_seconds']:.1f} s"
    )
    lines.append(
        f"Data: {data['summary']} ({data['scale']}); loaded in {data['load_seconds']:.1f} s, "
        f"{cache}. Small data for the SQL counts: {data['small_summary']}."
    )
    load = results.get("load", {})
    if load:
        lines.append(
            f"Load: {load['tool']} from a separate process, {load['connections']} connections, "
            f"{load['seconds']:g} s per page after {load['warmup']:g} s of warm-up, against gunicorn with "
            f"{load['workers']} sync workers (the Procfile's web line). /ping measured first and last: "
            f"{_n(load['ping_runs'][0])} and {_n(load['ping_runs'][-1])} req/s; shares are of their mean. "
            f"Other processes on the machine used {load['others_cores']} cores meanwhile."
        )
    table = web_rows(results)
    lines.append("")
    lines.append(_markdown_table(table) if markdown else _text_table(table))
    lines.append("")
    weight = results.get("first_load")
    if weight:
        parts = ", ".join(
            f"{name} {p.get('sent', p['gzip']) / 1024:.1f}" for name, p in weight["files"].items()
        )
        sent = (
            f"{weight['sent'] / 1024:.1f} kB as sent to a browser"
            if "sent" in weight
            else "not measured as sent"
        )
        lines.append(
            f"Order page's first load ({weight['lines']} lines): {sent} ({parts} kB); "
            f"{weight['gzip'] / 1024:.1f} kB if all gzipped, {weight['bytes'] / 1024:.1f} kB uncompressed."
        )
    memory = results.get("memory", {})
    if memory.get("web_worker_peak_mb"):
        lines.append(
            "Peak RSS (VmHWM) of the web workers after the load: "
            + " and ".join(f"{v:.0f}" for v in memory["web_worker_peak_mb"])
            + " MB"
            + _peaks_by_page(results)
            + "."
        )
    if memory.get("rq_worker_peak_mb"):
        lines.append(f"Peak RSS of the RQ worker after the fan-out: {memory['rq_worker_peak_mb']:.0f} MB.")
    phone = results.get("phone") or {}
    if phone.get("ms") is not None:
        runs = ", ".join(f"{r['ms']:,}" for r in phone["runs"])
        lines.append(
            f"Phone reorder (390×844, CPU ÷{phone['cpu_slowdown']}, 150 ms RTT, 1.6 Mbit/s down), cold: "
            f"{phone['ms']:,} ms and {phone['taps']} taps "
            f"(order page ready at {phone['order_page_ms']:,} ms, "
            f"Place order → confirmation {phone['place_ms']:,} ms); runs: {runs} ms."
        )
    elif phone.get("skipped"):
        lines.append(f"Phone reorder: not measured ({phone['skipped']}).")
    exported = results.get("exports") or {}
    if exported.get("files"):
        lines.append(describe_exports(exported))
    elif exported.get("skipped"):
        lines.append(f"A year's export: not measured ({exported['skipped']}).")
    fanout = results.get("fanout") or {}
    if fanout.get("seconds") is not None:
        lines.append(f"Reminder fan-out: {fanout['description']}")
    elif fanout.get("skipped"):
        lines.append(f"Reminder fan-out: not measured ({fanout['skipped']}).")
    pdf = results.get("invoice_pdf") or {}
    if pdf.get("median_ms") is not None:
        lines.append(describe_pdf(pdf))
    elif pdf.get("skipped"):
        lines.append(f"Invoice PDF: not measured ({pdf['skipped']}).")
    checks = results.get("targets", [])
    if checks:
        lines.append("")
        lines.append("Targets:")
        for check in checks:
            mark = "met " if check["met"] else "MISSED"
            lines.append(f"{'- ' if markdown else '  '}{mark} {check['what']}: {check['measured']}")
    for key, profile in (results.get("profiles") or {}).items():
        if not profile or "by_layer_percent" not in profile:
            continue
        lines.append("")
        lines.append(f"Where {key}'s time goes (py-spy, one worker, {profile['samples']} samples):")
        layers = ", ".join(f"{name} {pct}%" for name, pct in profile["by_layer_percent"].items())
        lines.append(f"  by layer: {layers}")
        ours = ", ".join(
            f"{name} {pct}%" for name, pct in list(profile["our_functions_inclusive_percent"].items())[:8]
        )
        lines.append(f"  our functions (inclusive): {ours}")
    lines.append(f"\nWhole run: {results['seconds']:.0f} s.")
    return "\n".join(lines)


def _peaks_by_page(results: dict) -> str:
    rows = [
        (row["title"], row["worker_peak_mb_after"])
        for key, row in results.get("web", {}).items()
        if key != "ping" and row.get("worker_peak_mb_after")
    ]
    if not rows:
        return ""
    return " (the higher one after each page: " + ", ".join(f"{t} {v:.0f}" for t, v in rows) + ")"


def describe_exports(exported: dict) -> str:
    """A year's export for the accountant (bench.exports): each file's time, size and the peak memory."""
    rows = exported["rows"]
    files = "; ".join(
        f"{name} {f['seconds']:.1f} s, {f['bytes'] / 1e6:.1f} MB, peak RSS {f['peak_rss_mb']:.0f} MB"
        + ("" if f.get("complete", True) else f" (INCOMPLETE: {f['problem']})")
        for name, f in exported["files"].items()
    )
    before = max(f["rss_before_mb"] for f in exported["files"].values())
    return (
        f"A year's export ({exported['range'][0]} to {exported['range'][1]}: {rows['invoice']:,} invoices and "
        f"credit notes, {rows['invoice_line']:,} lines, {rows['payment']:,} payments), each file downloaded "
        f"alone from a fresh gunicorn (the Procfile's web line): {files} (a worker held {before:.0f} MB before "
        "the request)."
    )


def read(path: Path = RESULTS) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def write(results: dict, path: Path = RESULTS) -> None:
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")


def main(argv: list[str]) -> None:
    markdown = "--markdown" in argv
    paths = [a for a in argv if not a.startswith("--")]
    results = json.loads(Path(paths[0] if paths else RESULTS).read_text())
    print(describe(results, markdown=markdown))


if __name__ == "__main__":
    main(sys.argv[1:])
