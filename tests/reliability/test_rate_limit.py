"""The optional per-application request rate limit: 429 with Retry-After, off by default."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

import pytest

from lime_scim.config import RateLimit
from lime_scim.web.throttle import RateLimiters, TokenBucket
from tests.reliability.live import ERROR_URN, LiveApp, application_entry, new_token, serve_app

UNLIMITED_APPLICATION = "sales"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_burst_then_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(per_second=2, burst=3), clock=clock)

    assert [bucket.take() for _ in range(3)] == [0, 0, 0]
    assert bucket.take() == pytest.approx(0.5)
    clock.now += 0.5
    assert bucket.take() == 0
    assert bucket.take() == pytest.approx(0.5)


def test_bucket_refills_only_to_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(per_second=10, burst=2), clock=clock)
    bucket.take()
    bucket.take()

    clock.now += 3600

    assert [bucket.take() for _ in range(2)] == [0, 0]
    assert bucket.take() > 0


def test_limiters_per_application() -> None:
    clock = FakeClock()
    limiters = RateLimiters(clock=clock)
    limit = RateLimit(per_second=0.5, burst=1)

    assert limiters.retry_after("a", limit) is None
    assert limiters.retry_after("a", limit) == 2
    assert limiters.retry_after("b", limit) is None
    assert limiters.retry_after("c", None) is None


def test_retry_after_rounds_up() -> None:
    clock = FakeClock()
    limiters = RateLimiters(clock=clock)
    limit = RateLimit(per_second=4, burst=1)
    limiters.retry_after("a", limit)

    assert limiters.retry_after("a", limit) == 1


@pytest.fixture(scope="module")
def limited_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveApp, str]]:
    """One worker: the limit is counted per worker process. Yields the app and a second
    application's token, which has no limit."""
    folder = tmp_path_factory.mktemp("rate-limit")
    other_token = new_token()
    extra = {UNLIMITED_APPLICATION: application_entry(other_token)}
    with serve_app(folder, database_url=None, workers=1, threads=4, extra_applications=extra,
                   scim={"rate_limit_per_second": 2, "rate_limit_burst": 3}) as app:
        yield app, other_token


def test_over_limit_gets_429(limited_app: tuple[LiveApp, str]) -> None:
    app, _ = limited_app
    client = app.client()
    time.sleep(2)  # a full bucket, whatever ran before

    started = time.monotonic()
    replies = [client.request("GET", "/ServiceProviderConfig") for _ in range(10)]
    elapsed = time.monotonic() - started

    statuses = [reply.status for reply in replies]
    # The burst of 3 passes, then 2 more a second at most; a slow machine refills more.
    refilled = math.ceil(2 * elapsed)
    assert statuses[:3] == [200, 200, 200]
    assert statuses.count(200) <= 3 + refilled, (statuses, elapsed)
    assert set(statuses) <= {200, 429}
    limited = next((reply for reply in replies if reply.status == 429), None)
    if limited is None:
        pytest.skip(f"the machine took {elapsed:.1f} s for 10 requests, so none was over the limit")
    assert limited.body["schemas"] == [ERROR_URN]
    assert limited.body["status"] == "429"
    assert "rate_limit_per_second" in limited.detail
    assert int(limited.headers["Retry-After"]) >= 1


def test_retry_after_is_honest(limited_app: tuple[LiveApp, str]) -> None:
    app, _ = limited_app
    client = app.client()
    limited = None
    for _ in range(10):
        reply = client.request("GET", "/ServiceProviderConfig")
        if reply.status == 429:
            limited = reply
            break
    assert limited is not None

    time.sleep(int(limited.headers["Retry-After"]))

    assert client.request("GET", "/ServiceProviderConfig").status == 200


def test_unauthenticated_requests_spend_nothing(limited_app: tuple[LiveApp, str]) -> None:
    app, _ = limited_app
    time.sleep(2)
    stranger = app.client(token="not-the-token")

    rejected = [stranger.request("GET", "/Users").status for _ in range(10)]

    assert rejected == [401] * 10
    assert [app.client().request("GET", "/Users").status for _ in range(3)] == [200] * 3


def test_limit_off_by_default(limited_app: tuple[LiveApp, str]) -> None:
    app, other_token = limited_app
    client = app.client(other_token)
    client.tenant_url = f"{app.server.base_url}/{UNLIMITED_APPLICATION}/api/v1/scim"

    statuses = [client.request("GET", "/ServiceProviderConfig").status for _ in range(30)]

    assert statuses == [200] * 30
