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


# The pages only a signed-in browser has a use for; the others serve anyone.
SIGNED_IN_PAGES = tuple(p for p in DESKTOP_PAGES
                        if p not in ("/", "/login", "/policies", "/sign-in", "/change-password"))


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_a_signed_out_browser_is_sent_to_sign_in_and_one_with_a_one_time_password_to_change_it(
        app, actions, path):
    from urllib.parse import quote

    signed_out = app.test_client().get(path)
    assert signed_out.headers["Location"] == f"/sign-in?next={quote(path, safe='')}"
    one_time = app.test_client()
    actions.create_user("dave", password="one-time-secret", must_change_password=True)
    actions.web_sign_in("dave", "one-time-secret", client=one_time)
    assert one_time.get(path).headers["Location"] == f"/change-password?next={quote(path, safe='')}"
