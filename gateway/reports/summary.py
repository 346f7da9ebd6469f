"""The structured summary a BI server may send instead of a snapshot image: a few key
figures, one small table, and the series of one bar or line chart, which the preview page
draws itself (SVG).

The limits keep a summary readable on a phone screen and small in the store. Numbers must be
finite; every list has a ceiling; a table row has exactly one cell per column and a series
exactly one value per category. Unknown fields are refused rather than silently dropped.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, model_validator

MAX_KEY_FIGURES = 8
MAX_COLUMNS = 8
MAX_ROWS = 20
MAX_CATEGORIES = 60
MAX_SERIES = 6

Label = Annotated[str, Field(min_length=1, max_length=60)]
Number = Annotated[StrictInt | StrictFloat, Field(allow_inf_nan=False)]
Cell = Number | Annotated[str, Field(max_length=80)] | None


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class KeyFigure(_Part):
    """One headline number: "Revenue 1.2 M EUR, +4.5 % on last month"."""

    label: Label
    value: Number | Annotated[str, Field(min_length=1, max_length=40)]
    unit: str | None = Field(default=None, max_length=16)
    change: Number | None = Field(default=None, description="Change on the previous period, in %")


class Table(_Part):
    """One small table: column headings and rows of text or numbers."""

    columns: list[Label] = Field(min_length=1, max_length=MAX_COLUMNS)
    rows: list[list[Cell]] = Field(max_length=MAX_ROWS)

    @model_validator(mode="after")
    def _rows_fit_the_columns(self) -> Table:
        for index, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(f"row {index} has {len(row)} cells for "
                                 f"{len(self.columns)} columns")
        return self


class Series(_Part):
    """One named line or set of bars; None leaves a gap."""

    name: Label
    values: list[Number | None] = Field(min_length=1, max_length=MAX_CATEGORIES)


class Chart(_Part):
    """A bar or line chart over categories (months, regions, ...)."""

    kind: Literal["bar", "line"]
    title: str | None = Field(default=None, max_length=80)
    unit: str | None = Field(default=None, max_length=16)
    categories: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        min_length=1, max_length=MAX_CATEGORIES)
    series: list[Series] = Field(min_length=1, max_length=MAX_SERIES)

    @model_validator(mode="after")
    def _series_fit_the_categories(self) -> Chart:
        for series in self.series:
            if len(series.values) != len(self.categories):
                raise ValueError(f"series {series.name!r} has {len(series.values)} values for "
                                 f"{len(self.categories)} categories")
        return self


class Summary(_Part):
    """Key figures, a table and a chart; at least one of the three."""

    key_figures: list[KeyFigure] = Field(default_factory=list, max_length=MAX_KEY_FIGURES)
    table: Table | None = None
    chart: Chart | None = None

    @model_validator(mode="after")
    def _says_something(self) -> Summary:
        if not self.key_figures and self.table is None and self.chart is None:
            raise ValueError("a summary needs key figures, a table or a chart")
        return self
