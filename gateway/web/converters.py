"""The converters of path parameters in every route: values the store can always hold, so
an id or a name it could not is an unknown one (404), never a database error (500)."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, UnicodeConverter

MAX_ROW_ID = 2**31 - 1  # the largest INTEGER on PostgreSQL, the narrowest id column


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in every route: a whole number an id column can hold, so a larger one
    is a 404 like any unknown id instead of an overflow in the database driver (a 500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ROW_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


class TextConverter(UnicodeConverter):
    """``<name>`` and ``<string:name>`` in every route: one path segment without U+0000,
    which no text column can hold; a path with one matches no route (404)."""

    def __init__(self, map, minlength=1, maxlength=None, length=None):  # noqa: A002
        super().__init__(map, minlength, maxlength, length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]", 1)
