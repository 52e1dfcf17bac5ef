"""A local SMTP sink for the fan-out: ``python -m bench.smtp_sink PORT STATUS_FILE``.

It accepts every message (aiosmtpd), keeps nothing but a count and the arrival times of the first and the
last message, and writes them to STATUS_FILE as JSON about ten times a second and on exit.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time

from aiosmtpd.controller import Controller


class Counting:
    def __init__(self):
        self.count = 0
        self.first = None
        self.last = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        now = time.time()
        with self.lock:
            self.count += 1
            self.first = self.first or now
            self.last = now
        return "250 OK"

    def status(self) -> dict:
        with self.lock:
            return {"count": self.count, "first": self.first, "last": self.last, "pid": os.getpid()}


def main(port: int, status_path: str) -> None:
    handler = Counting()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def write():
        tmp = status_path + ".tmp"
        with open(tmp, "w") as file:
            json.dump(handler.status(), file)
        os.replace(tmp, status_path)

    try:
        while not stop.wait(0.1):
            write()
    finally:
        write()
        controller.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
