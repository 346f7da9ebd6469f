"""Helpers the scan-to-preview tests share: an integration key, reports, images."""

from __future__ import annotations

import base64
import io

from PIL import Image

SUMMARY = {
    "key_figures": [
        {"label": "Revenue", "value": 1250000, "unit": "EUR", "change": 4.5},
        {"label": "Orders", "value": 8312},
    ],
    "table": {
        "columns": ["Region", "Revenue", "Orders"],
        "rows": [["North", 520000, 3100], ["South", 430000, 2900], ["West", 300000, None]],
    },
    "chart": {
        "kind": "bar", "title": "Revenue by month", "unit": "kEUR",
        "categories": ["Jan", "Feb", "Mar", "Apr"],
        "series": [{"name": "2026", "values": [310, 295, 330, 315]},
                   {"name": "2025", "values": [280, 290, None, 300]}],
    },
}


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (31, 95, 191)).save(out, fmt, **save)
    return out.getvalue()


def snapshot(data: bytes, media_type: str | None = None) -> dict:
    body = {"data": base64.b64encode(data).decode()}
    if media_type is not None:
        body["media_type"] = media_type
    return body


def integration_key(app, scopes=("reports:write",), name="bi-server") -> dict:
    """Authorization headers carrying a new integration key."""

    svc = app.extensions["gateway"]
    _, key = svc.identity.integrations.create(name=name, scopes=list(scopes),
                                              created_by=None)
    return {"Authorization": f"Bearer {key}"}


def report_body(owner: str = "olivia", users=(), groups=("sales",), title="Sales Q3 (secret)",
                **content) -> dict:
    body = {"title": title, "owner": owner, "users": list(users), "groups": list(groups)}
    body.update(content or {"summary": SUMMARY})
    return body


def register(client, headers, report_id: str = "sales-q3", **fields):
    return client.put(f"/api/v1/reports/{report_id}", headers=headers, json=report_body(**fields))
