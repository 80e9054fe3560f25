"""Does POST {p}/auth/password-reset take the same time for a known and an unknown address?

    RATE_LIMIT_PASSWORD_RESET=100000/hour RATE_LIMIT_ANON=100000/minute \\
        python3 dev.py serve --port 8000          # in one terminal
    .venv/bin/python benchmarks/password_reset_timing.py http://127.0.0.1:8000 200

Sends the two kinds of request alternately (so drift hits both alike), one
at a time, and prints per prefix the median and 90th percentile of each and
the difference of the medians. The known address is the demo user alice's.
Standard library only.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import urllib.request

PREFIXES = ("/api/drf", "/api/fastapi", "/api/flask")
KNOWN = "alice@example.com"
UNKNOWN = "nobody-{n}@example.com"


def post_ms(url: str, email: str) -> float:
    body = json.dumps({"email": email}).encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
        assert response.status == 202, response.status
    return (time.perf_counter() - started) * 1000


def main() -> None:
    base = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    print(f"{'prefix':14} {'known p50':>10} {'unknown p50':>12} {'known p90':>10} "
          f"{'unknown p90':>12} {'p50 diff':>9}  (ms, {rounds} each)")
    for prefix in PREFIXES:
        url = f"{base}{prefix}/auth/password-reset"
        for _ in range(10):  # warm-up
            post_ms(url, UNKNOWN.format(n=0))
        known, unknown = [], []
        for n in range(rounds):
            known.append(post_ms(url, KNOWN))
            unknown.append(post_ms(url, UNKNOWN.format(n=n)))
        k50, u50 = statistics.median(known), statistics.median(unknown)
        k90 = statistics.quantiles(known, n=10)[-1]
        u90 = statistics.quantiles(unknown, n=10)[-1]
        print(f"{prefix:14} {k50:10.2f} {u50:12.2f} {k90:10.2f} {u90:12.2f} {k50 - u50:+9.2f}")


if __name__ == "__main__":
    main()
