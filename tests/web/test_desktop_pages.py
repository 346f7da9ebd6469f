"""The bar on top of every desktop page: a browser signed in finds its pages and its
sign-out on each one (the phone's pages, under /app/, have the companion's own way out)."""

from __future__ import annotations

import pytest

DESKTOP_PAGES = ("/", "/home", "/reports", "/reports/sales-q3", "/connect", "/login",
                 "/policies", "/sign-in", "/change-password", "/admin", "/admin/users",
                 "/admin/integrations", "/admin/applications", "/admin/policies",
                 "/admin/partners", "/admin/push")


@pytest.fixture
def admin(client, actions):
    actions.create_user("root", display_name="Root Admin", role="admin")
    actions.web_sign_in("root")
    return client


def test_the_list_names_every_desktop_page(app):
    pages = {rule.rule.replace("<report_id>", "sales-q3") for rule in app.url_map.iter_rules()
             if rule.endpoint.split(".")[0] in {"pages", "admin_policies", "push_admin",
                                                "qrlogin", "enrollment", "consent", "preview"}
             and "GET" in rule.methods and not rule.rule.startswith(("/api/", "/app/", "/q/",
                                                                     "/p/", "/c/"))
             and rule.endpoint != "pages.favicon"}
    assert pages == set(DESKTOP_PAGES)


@pytest.mark.parametrize("path", DESKTOP_PAGES)
def test_a_signed_in_browser_can_sign_out_on_every_desktop_page(admin, path):
    page = admin.get(path)
    assert page.status_code == 200, path
    html = page.get_data(as_text=True)
    assert "data-sign-out" in html and 'href="/home"' in html and "Root Admin" in html


def test_a_signed_out_browser_is_offered_no_sign_out(client):
    assert "data-sign-out" not in client.get("/login").get_data(as_text=True)
