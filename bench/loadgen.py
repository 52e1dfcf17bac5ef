"""A small load generator for machines without wrk: ``python -m bench.loadgen SPEC.json``.

One thread per connection, a new connection per request (gunicorn's sync workers close each one anyway).
It prints the same JSON line as the wrk scripts. Python threads share one core's worth of interpreter, so
its figures are lower bounds; the table says which tool measured them.
"""

from __future__ import annotations

import http.client
import json
import re
import sys
import threading
import time
from urllib.parse import urlencode, urlsplit

PLACE = re.compile(r'action="(/orders/\d+/place)"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
SHIPPING = re.compile(r'<option value="(\d+)" selected>')


def main(path: str) -> None:
    spec = json.loads(open(path).read())
    parts = urlsplit(spec["base_url"])
    deadline = time.monotonic() + spec["seconds"]
    latencies: list[float] = []
    counts = {"requests": 0, "unexpected": 0, "read": 0, "placed": 0}
    place_latencies: list[float] = []
    lock = threading.Lock()

    def send(method, target, headers, body=""):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        started = time.perf_counter()
        try:
            conn.request(method, target, body=body.encode() if body else None, headers=headers)
            response = conn.getresponse()
            data = response.read()
            return response.status, data, time.perf_counter() - started
        finally:
            conn.close()

    def rotate(rotation):
        i = 0
        while time.monotonic() < deadline:
            method, target, headers, body = rotation[i % len(rotation)]
            i += 1
            try:
                status, _, seconds = send(method, target, headers, body)
            except OSError:
                with lock:
                    counts["read"] += 1
                continue
            with lock:
                counts["requests"] += 1
                latencies.append(seconds)
                counts["unexpected"] += status != spec["expect"]

    def place(visitor):
        cookie = {"Cookie": visitor["cookie"]}
        while time.monotonic() < deadline:
            try:
                # Each customer places order after order: the second and later ones for the same delivery.
                status, html, seconds = send("GET", "/order?second=1", cookie)
                with lock:
                    counts["requests"] += 1
                    latencies.append(seconds)
                text = html.decode()
                target, key = PLACE.search(text), KEY.search(text)
                if status != 200 or not (target and key):
                    with lock:
                        counts["unexpected"] += 1
                    continue
                option = SHIPPING.search(text)
                body = urlencode(
                    {
                        "csrf_token": visitor["csrf"],
                        "idempotency_key": key.group(1),
                        "shipping_option_id": option.group(1) if option else "",
                        "notes": "",
                        "second_order": "y",
                    }
                )
                headers = {**cookie, "Content-Type": "application/x-www-form-urlencoded"}
                status, _, seconds = send("POST", target.group(1), headers, body)
            except OSError:
                with lock:
                    counts["read"] += 1
                continue
            with lock:
                counts["requests"] += 1
                counts["placed"] += 1
                latencies.append(seconds)
                place_latencies.append(seconds)
                counts["unexpected"] += status != 303

    if spec["places_orders"]:
        visitors = spec["visitors"]
        work = [(place, visitors[i % len(visitors)]) for i in range(spec["connections"])]
    else:
        rotations = spec["rotations"]
        work = [(rotate, rotations[i % len(rotations)]) for i in range(spec["connections"])]
    started = time.monotonic()
    threads = [threading.Thread(target=fn, args=(arg,), daemon=True) for fn, arg in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(spec["seconds"] + 30)
    duration = time.monotonic() - started

    def pct(values, p):
        values = sorted(values)
        return values[max(0, min(len(values) - 1, int(len(values) * p / 100 + 0.5) - 1))] if values else 0.0

    out = {
        "requests": counts["requests"],
        "duration_us": int(duration * 1e6),
        "p50_us": int(pct(latencies, 50) * 1e6),
        "p99_us": int(pct(latencies, 99) * 1e6),
        "connect": 0,
        "read": counts["read"],
        "write": 0,
        "status": 0,
        "timeout": 0,
        "unexpected": counts["unexpected"],
        "placed": counts["placed"],
        "place_p50_us": int(pct(place_latencies, 50) * 1e6),
        "place_p99_us": int(pct(place_latencies, 99) * 1e6),
    }
    print("BENCH_JSON " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
