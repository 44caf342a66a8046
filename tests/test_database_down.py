"""With PostgreSQL unreachable, a request fails fast with a 503 that says so, in the product's
language, and reads nothing more from the database (issue 11, defect 13)."""

import json
import urllib.error
import urllib.request

import pytest

from tests.live_helpers import AsgiServer, free_port

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def server_without_database(redis_url):
    unreachable = f"postgres://postgres@127.0.0.1:{free_port()}/nowhere"  # nothing listens
    server = AsgiServer(redis_url, ready_path="/accounts/login/", DATABASE_URL=unreachable,
                        DATABASE_POOL_TIMEOUT=1, DATABASE_CONNECT_TIMEOUT=1)
    yield server
    server.stop()


def fetch(url, headers):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30):
            raise AssertionError(f"{url} answered although the database is down")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def test_the_api_answers_503_with_a_reason(server_without_database):
    status, headers, body = fetch(f"{server_without_database.url}/api/incidents/",
                                  {"Authorization": "Token " + "0" * 40})
    assert status == 503
    assert headers["Retry-After"] == "60"
    assert "数据库" in json.loads(body)["detail"]


def test_a_signed_in_page_answers_the_503_page(server_without_database):
    status, _headers, body = fetch(f"{server_without_database.url}/incidents/",
                                   {"Cookie": "sessionid=" + "a" * 32})
    assert status == 503
    assert "暂时无法访问" in body and "数据库" in body
    assert "Traceback" not in body
