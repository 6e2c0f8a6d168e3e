"""Request counters for `GET /_emulator/stats`."""

from __future__ import annotations

from collections import Counter


class Stats:
    def __init__(self) -> None:
        self.requests: Counter = Counter()  # "GET /v2/users/{userId}/meetings" -> n
        self.categories: Counter = Counter()
        self.status: Counter = Counter()
        self.throttled: Counter = Counter()
        # "GET /v2/meetings/{meetingId} 404/3001" -> n: which routes answer which errors
        self.errors: Counter = Counter()
        self.in_flight = 0
        self.peak_concurrency = 0
        self.token_requests = 0

    def enter(self) -> None:
        self.in_flight += 1
        self.peak_concurrency = max(self.peak_concurrency, self.in_flight)

    def leave(self, status: object) -> None:
        self.in_flight -= 1
        self.status[str(status)] += 1

    def as_json(self) -> dict:
        return {
            "requests": dict(self.requests),
            "categories": dict(self.categories),
            "status": dict(self.status),
            "throttled": dict(self.throttled),
            "errors": dict(self.errors),
            "peak_concurrency": self.peak_concurrency,
            "token_requests": self.token_requests,
        }
