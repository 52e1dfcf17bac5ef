"""The weekly reorder on a phone: open the emailed link, tap Place order, see the confirmation.

Headless Chromium (Debian's) through Playwright, emulating a phone: 390×844 at 3× with touch, the CPU slowed
4× (``Emulation.setCPUThrottlingRate``) and the network at 150 ms round trip, 1.6 Mbit/s down and 750 kbit/s
up (``Network.emulateNetworkConditions``, a slow 4G). Every run starts cold: a new browser context with an
empty cache, a customer who has not opened this week's link yet (so opening it makes the draft). The clock
runs from opening the link to the confirmation being visible; the bench taps as soon as the button is there,
so a person's reading time is not in it.
"""

from __future__ import annotations

import os
import re
import statistics
import time

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)
NETWORK = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1_600_000 / 8,
    "uploadThroughput": 750_000 / 8,
}
CPU_SLOWDOWN = 4


def available() -> str | None:
    """None when the phone can run here, else why not."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    if not os.path.exists(CHROMIUM):
        return f"no Chromium at {CHROMIUM}"
    return None


def _reorder(browser, link: str) -> dict:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
        user_agent=PHONE_UA,
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", NETWORK)
    taps = 0
    try:
        started = time.perf_counter()
        taps += 1  # the link in the email
        page.goto(link, wait_until="load")
        place = page.get_by_role("button", name="Place order")
        place.wait_for(state="visible")
        shown = time.perf_counter()
        taps += 1
        place.tap()
        page.get_by_text(re.compile(r"Thank you! Order W\d+ is placed\.")).wait_for(state="visible")
        done = time.perf_counter()
        return {
            "ms": round((done - started) * 1000),
            "order_page_ms": round((shown - started) * 1000),
            "place_ms": round((done - shown) * 1000),
            "taps": taps,
        }
    finally:
        context.close()


def reorder_on_phone(links: list[str]) -> dict:
    """One cold reorder per link; the median run is reported, all runs are kept."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        try:
            runs = [_reorder(browser, link) for link in links]
        finally:
            browser.close()
    median = statistics.median(run["ms"] for run in runs)
    middle = min(runs, key=lambda run: abs(run["ms"] - median))
    return {**middle, "runs": runs, "cpu_slowdown": CPU_SLOWDOWN, "network": NETWORK, "viewport": "390x844"}
