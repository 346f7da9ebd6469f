"""Response schemas made from the domain's own records, so a record's fields are written
once: ``shown(Alert)`` is the pydantic model of every field of ``Alert``;
``shown(Notification, hide=(...), base=...)`` leaves out what callers are not told and adds
the fields and methods of *base*."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from pydantic import BaseModel, create_model


def shown(record: type, *, hide: tuple[str, ...] = (), base: type[BaseModel] = BaseModel,
          name: str | None = None) -> type[BaseModel]:
    """A pydantic model named *name* (default: the record's name + ``Out``) with the fields
    of the dataclass *record* except *hide*, extending *base*. Raises ``TypeError`` when
    *record* is not a dataclass."""
    hints = typing.get_type_hints(record)
    fields: dict[str, Any] = {field.name: (hints[field.name], ...)
                              for field in dataclasses.fields(record) if field.name not in hide}
    model = create_model(name or f"{record.__name__}Out", __base__=base, **fields)
    model.__module__ = base.__module__ if base is not BaseModel else record.__module__
    return model
