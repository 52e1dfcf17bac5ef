"""Load on one page from a separate process: wrk (Debian's), or the Python load generator without it.

Each page is loaded by 20 connections for a short warm-up, then for the measured time. The requests rotate
over many signed-in customers (each wrk thread has its own, so no two requests in flight touch one draft).
Placing an order needs a fresh draft each time: every connection is a little state machine that opens the
order page (which makes the draft), reads the place address and idempotency key from it, and posts the
place; only the place POSTs are reported (their own latencies, timed in Lua with clock_gettime).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .pages import Page, Request
from .visits import Visit

CONNECTIONS = 20
THREADS = 2  # wrk's threads for pages without state: one per core is plenty for wrk
MARK = "BENCH_JSON "
TIMEOUT = 30  # seconds before wrk gives up on a request (a slow staff page queues for long at 20 connections)


@dataclass
class LoadResult:
    page: str
    tool: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    errors: int
    error_detail: dict

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def wrk_path() -> str | None:
    return shutil.which("wrk")


def raw(request: Request, host: str, cookie: str | None) -> str:
    """The bytes of one HTTP/1.1 request, as wrk sends them."""
    headers = {"Host": host, **request.headers}
    if cookie:
        headers["Cookie"] = cookie
    if request.method == "POST":
        headers["Content-Length"] = str(len(request.body.encode()))
    lines = [f"{request.method} {request.path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
    return "\r\n".join(lines) + "\r\n\r\n" + request.body


def _lua(text: str) -> str:
    return (
        '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace("\n", "\\n") + '"'
    )


def rotations(
    page: Page, visits: list[Visit], threads: int, context: dict
) -> list[list[tuple[Request, str]]]:
    """Per thread, the requests it sends in turn: its own visitors, each round in turn."""
    per_thread = []
    for t in range(threads):
        mine = visits[t::threads] or visits
        per_thread.append([(page.request(v, r, context), v.cookie) for r in range(page.rounds) for v in mine])
    return per_thread


LUA_COMMON = r"""
local threads = {}
local next_id = 1
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end
local function report(summary, latency, extra)
  local e = summary.errors
  local out = string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "unexpected": %d%s}',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.connect, e.read,
    e.write, e.status, e.timeout, extra.unexpected, extra.more or "")
  io.write("BENCH_JSON " .. out .. "\n")
end
"""

LUA_ROTATE = r"""
local counter = 0
local mine, expected
unexpected = 0
function init(args)
  mine = requests[(id - 1) % #requests + 1]
  expected = expect
end
function request()
  counter = counter + 1
  return mine[(counter - 1) % #mine + 1]
end
function response(status, headers, body)
  if status ~= expected then unexpected = unexpected + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("unexpected") end
  report(summary, latency, {unexpected = bad})
end
"""

# One connection per thread, so the thread's Lua state is the connection's state machine.
LUA_PLACE = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end
local me, state, started, body_out
unexpected = 0
placed = 0
latencies = {}
function init(args)
  me = visitors[(id - 1) % #visitors + 1]
  state = "open"
end
local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
function request()
  if state == "place" then
    started = now_us()
    return "POST " .. me.place_path .. " HTTP/1.1\r\nHost: " .. host .. "\r\nCookie: " .. me.cookie ..
      "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " .. #body_out ..
      "\r\n\r\n" .. body_out
  end
  return "GET /order?second=1 HTTP/1.1\r\nHost: " .. host .. "\r\nCookie: " .. me.cookie .. "\r\n\r\n"
end
function response(status, headers, body)
  if state == "place" then
    latencies[#latencies + 1] = now_us() - started
    placed = placed + 1
    if status ~= 303 then unexpected = unexpected + 1 end
    state = "open"
    return
  end
  if status ~= 200 then unexpected = unexpected + 1; return end
  local path = body:match('action="(/orders/%d+/place)"')
  local key = body:match('name="idempotency_key" value="([^"]+)"')
  local option = body:match('<option value="(%d+)" selected>') or ""
  if not (path and key) then unexpected = unexpected + 1; return end
  me.place_path = path
  body_out = "csrf_token=" .. urlencode(me.csrf) .. "&idempotency_key=" .. urlencode(key) ..
    "&shipping_option_id=" .. option .. "&notes=&second_order=y"
  state = "place"
end
function done(summary, latency, requests)
  local all, bad, count = {}, 0, 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("unexpected")
    count = count + t:get("placed")
    for _, v in ipairs(t:get("latencies")) do all[#all + 1] = v end
  end
  table.sort(all)
  local function pct(p)
    if #all == 0 then return 0 end
    return all[math.max(1, math.ceil(#all * p / 100))]
  end
  report(summary, latency, {unexpected = bad, more = string.format(
    ', "placed": %d, "place_p50_us": %d, "place_p99_us": %d', count, pct(50), pct(99))})
end
"""


def lua_script(page: Page, visits: list[Visit], host: str, threads: int, context: dict) -> str:
    if page.places_orders:
        entries = ",\n".join(
            f"{{cookie = {_lua(v.cookie)}, csrf = {_lua(v.csrf)}, place_path = {_lua(v.place_path)}}}"
            for v in visits
        )
        return f"host = {_lua(host)}\nvisitors = {{\n{entries}\n}}\n" + LUA_COMMON + LUA_PLACE
    tables = []
    for thread_requests in rotations(page, visits, threads, context):
        tables.append("{" + ",\n".join(_lua(raw(r, host, c)) for r, c in thread_requests) + "}")
    expect = thread_requests[0][0].expect
    return f"expect = {expect}\nrequests = {{\n" + ",\n".join(tables) + "\n}\n" + LUA_COMMON + LUA_ROTATE


def _result(page: Page, tool: str, data: dict) -> LoadResult:
    seconds = data["duration_us"] / 1e6
    errors = {k: data[k] for k in ("connect", "read", "write", "timeout", "unexpected") if data.get(k)}
    if page.places_orders:
        count = data["placed"]
        p50, p99 = data["place_p50_us"] / 1000, data["place_p99_us"] / 1000
    else:
        count = data["requests"]
        p50, p99 = data["p50_us"] / 1000, data["p99_us"] / 1000
    if data["requests"] == 0 and not errors:  # nothing answered before the run ended: all waited throughout
        errors = {"unanswered": CONNECTIONS}
    # A request that timed out has no latency in wrk's histogram: with any, p99 is unknown but worse.
    p50_ms = round(p50, 1) if count else None
    p99_ms = round(p99, 1) if count and not (errors.get("timeout") or errors.get("unanswered")) else None
    return LoadResult(
        page.key,
        tool,
        count,
        round(seconds, 2),
        round(count / seconds, 1),
        p50_ms,
        p99_ms,
        sum(errors.values()),
        errors,
    )


def run_wrk(page: Page, base_url: str, visits: list[Visit], seconds: float, context: dict) -> LoadResult:
    host = urlsplit(base_url).netloc
    # Placing: one connection per thread, each thread one customer's state machine.
    threads = CONNECTIONS if page.places_orders else THREADS
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix=f"bench-{page.key}-", delete=False) as script:
        script.write(lua_script(page, visits, host, threads, context))
    try:
        command = [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(CONNECTIONS),
            "-d",
            f"{seconds:g}s",
            "--timeout",
            f"{TIMEOUT}s",
            "-s",
            script.name,
            base_url + "/",
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    finally:
        os.unlink(script.name)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(MARK)), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result for {page.key}:\n{done.stdout}\n{done.stderr}")
    return _result(page, "wrk", json.loads(line[len(MARK) :]))


def run_python(page: Page, base_url: str, visits: list[Visit], seconds: float, context: dict) -> LoadResult:
    """Without wrk: the same requests from ``bench.loadgen`` in a process of its own."""
    spec = {
        "base_url": base_url,
        "seconds": seconds,
        "connections": CONNECTIONS,
        "places_orders": page.places_orders,
    }
    if page.places_orders:
        spec["visitors"] = [{"cookie": v.cookie, "csrf": v.csrf} for v in visits]
    else:
        spec["rotations"] = [
            [[r.method, r.path, {**r.headers, "Cookie": c} if c else r.headers, r.body] for r, c in rotation]
            for rotation in rotations(page, visits, CONNECTIONS, context)
        ]
        spec["expect"] = page.request(visits[0], 0, context).expect
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="bench-load-", delete=False) as file:
        json.dump(spec, file)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.loadgen", file.name],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            cwd=Path(__file__).resolve().parent.parent,
        )
    finally:
        os.unlink(file.name)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(MARK)), None)
    if line is None:
        raise RuntimeError(f"the Python load generator gave no result for {page.key}:\n{done.stderr[-2000:]}")
    return _result(page, "python", json.loads(line[len(MARK) :]))


def load_page(
    page: Page, base_url: str, visits: list[Visit], seconds: float, warmup: float, context: dict | None = None
) -> LoadResult:
    """Warm up, then measure: requests/s, p50 and p99 latency, errors."""
    run = run_wrk if wrk_path() else run_python
    if warmup > 0:
        run(page, base_url, visits, warmup, context or {})
    return run(page, base_url, visits, seconds, context or {})
