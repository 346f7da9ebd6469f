"""The one check of the error contract: a failure is ``application/problem+json`` (RFC 9457)
with a stable ``type``, its status, a title and a detail, and never a stack trace."""

from __future__ import annotations


def assert_problem(response, status: int, slug: str | None = None) -> dict:
    """Assert that *response* is a problem with *status* (and a ``type`` ending in *slug*);
    returns its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    if slug:
        assert body["type"].endswith(slug), body
    assert "Traceback" not in response.get_data(as_text=True)
    return body
