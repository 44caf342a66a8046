"""Django's PostgreSQL backend, with one change: a stored time Python cannot hold (before
year 1, such as 1 BC, after year 9999, or ±infinity) is read as the nearest time it can
hold (0001-01-02 or 9999-12-30 UTC) and logged, instead of raising DataError for the whole
query. One such row, written by hand or by an older version without the date rule
(zezhou_heat.dates), must not take down every page that lists it: the list shows it with an
absurd date, and the sweep sets its clock aside (incidents.clocks). The rule keeps such
times out at input; this is the defence behind it."""

import logging
from datetime import UTC, datetime
from functools import cache

from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg import DataError

logger = logging.getLogger(__name__)

READ_AS_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)  # room to convert to any zone
READ_AS_LATEST = datetime(9999, 12, 30, tzinfo=UTC)


@cache
def readable_tz_loader(tz):
    class ReadableTzLoader(BaseTzLoader):
        timezone = tz  # what Django compares to decide whether to register its own

        def load(self, data):
            try:
                return super().load(data)
            except DataError:
                text = bytes(data).decode("utf8", "replace")
                too_small = text == "-infinity" or text.endswith("BC")
                moment = READ_AS_EARLIEST if too_small else READ_AS_LATEST
                logger.error("A stored time Python cannot hold, %r, was read as %s",
                             text, moment.isoformat())
                return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

    return ReadableTzLoader


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        connection.adapters.register_loader("timestamptz", readable_tz_loader(self.timezone))
        return connection
