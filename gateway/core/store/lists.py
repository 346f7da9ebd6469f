"""``column IN <a list bound as one value>``, for the statements a fan-out runs hundreds
of times with hundreds of ids each.

SQLAlchemy's expanding ``IN`` renders a new placeholder per id on every execution (about
2.5 us an id, a quarter of a push message's database time); here the list is one
parameter: a JSON array read by ``json_each`` on SQLite, an array compared with ``= ANY``
on PostgreSQL. Both use the column's index as ``IN (...)`` does.
"""

from __future__ import annotations

import json

from sqlalchemy import Text, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import NullType, TypeDecorator


class _BoundList(TypeDecorator):
    """A list of values of *item* type: JSON text on SQLite, an array on PostgreSQL."""

    impl = Text
    cache_ok = True

    def __init__(self, item) -> None:
        super().__init__()
        self.item = item

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(self.item))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value, dialect):
        return list(value) if dialect.name == "postgresql" else json.dumps(list(value))


class among(ColumnElement):  # noqa: N801 (reads as an operator: among(column, "ids"))
    """``column IN :name`` where *name* is bound to a list (or any iterable) of values of
    the column's type, as one parameter."""

    type = NullType()  # a condition, rendered as it is (a boolean would become "= 1")
    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("values", InternalTraversal.dp_clauseelement)]

    def __init__(self, column, name: str) -> None:
        self.column = column
        self.values = bindparam(name, type_=_BoundList(column.type))


@compiles(among)
def _among_sqlite(element: among, compiler, **kw) -> str:
    column, values = compiler.process(element.column, **kw), compiler.process(element.values, **kw)
    return f"{column} IN (SELECT value FROM json_each({values}))"


@compiles(among, "postgresql")
def _among_postgresql(element: among, compiler, **kw) -> str:
    column, values = compiler.process(element.column, **kw), compiler.process(element.values, **kw)
    return f"{column} = ANY({values})"
