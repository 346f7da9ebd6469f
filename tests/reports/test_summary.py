"""gateway.reports.summary: what a BI server may send instead of an image."""

import pytest
from pydantic import ValidationError

from gateway.reports.summary import Summary
from tests.preview_support import SUMMARY


def test_a_full_summary_round_trips_unchanged():
    assert Summary.model_validate(SUMMARY).model_dump(mode="json", exclude_none=True) == SUMMARY


def test_key_figures_alone_are_enough_and_text_values_are_kept():
    summary = Summary.model_validate({"key_figures": [{"label": "Status", "value": "On track"}]})
    assert summary.key_figures[0].value == "On track" and summary.chart is None


def test_a_line_chart_may_have_gaps():
    chart = {"kind": "line", "categories": ["a", "b", "c"],
             "series": [{"name": "s", "values": [1.5, None, -2]}]}
    assert Summary.model_validate({"chart": chart}).chart.series[0].values == [1.5, None, -2]


@pytest.mark.parametrize("value", [float("inf"), float("nan"), True, [1]])
def test_numbers_are_finite_numbers(value):
    with pytest.raises(ValidationError):
        Summary.model_validate({"key_figures": [{"label": "x", "value": 1, "change": value}]})


def test_strings_are_trimmed_and_bounded():
    summary = Summary.model_validate({"key_figures": [{"label": "  Revenue  ", "value": 1}]})
    assert summary.key_figures[0].label == "Revenue"
    with pytest.raises(ValidationError):
        Summary.model_validate({"key_figures": [{"label": "x" * 61, "value": 1}]})
