"""gateway.reports.library: who may view a report, decided from the accounts as they are now
(through the gateway's bound ``reports.library``, without Flask)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, update

from gateway.identity.tables import users
from gateway.reports import library as reports
from gateway.reports.summary import Summary
from gateway.reports.tables import reports as reports_table
from tests.preview_support import SUMMARY
from tests.support import People


@pytest.fixture
def svc(gateway):
    return gateway


@pytest.fixture
def people(svc):
    return {name: People(svc).create_user(name, **fields) for name, fields in (
        ("olivia", {}), ("victor", {"groups": ("sales",)}), ("lena", {}),
        ("ursula", {"groups": ("hr",)}), ("root", {"role": "admin"}))}


def put(svc, report_id="sales-q3", owner="olivia", users_=(), groups=("sales",)):
    report, _ = svc.reports.library.register(
        report_id=report_id, title="Sales", owner=owner,
        users_=list(users_), groups=list(groups), generated_at=None,
        summary=Summary.model_validate(SUMMARY), snapshot=None, integration_id=None)
    return report


def viewers(svc, people, report_id="sales-q3"):
    with svc.store.read() as connection:
        return sorted(name for name, user in people.items()
                      if reports.may_view(connection, report_id, user.id))


def test_the_owner_listed_users_and_group_members_may_view(svc, people):
    put(svc, users_=("lena",))
    assert viewers(svc, people) == ["lena", "olivia", "victor"]


def test_being_an_admin_does_not_open_reports(svc, people):
    put(svc)
    assert "root" not in viewers(svc, people)
    report = put(svc)
    assert reports.may_manage(report, people["root"].id, "admin")
    assert reports.may_manage(report, people["olivia"].id, "user")
    assert not reports.may_manage(report, people["victor"].id, "user")


def test_group_changes_count_at_once(svc, people):
    put(svc)
    svc.identity.accounts.set_groups(people["victor"].id, ())
    svc.identity.accounts.set_groups(people["ursula"].id, ("hr", "sales"))
    assert viewers(svc, people) == ["olivia", "ursula"]


def test_a_disabled_account_sees_nothing(svc, people):
    put(svc)
    with svc.store.write() as connection:
        connection.execute(update(users).where(users.c.id == people["victor"].id)
                           .values(disabled_at=svc.clock.now()))
    assert viewers(svc, people) == ["olivia"]


def test_a_second_registration_replaces_the_viewers(svc, people):
    put(svc, users_=("lena",))
    put(svc, users_=(), groups=("hr",))
    assert viewers(svc, people) == ["olivia", "ursula"]


def test_a_report_outlives_its_owners_account_and_admins_still_control_it(svc, people):
    put(svc)
    with svc.store.write() as connection:
        connection.execute(users.delete().where(users.c.id == people["olivia"].id))
    with svc.store.read() as connection:
        report = reports.get(connection, "sales-q3")
    assert report.owner_id is None and report.owner is None
    assert reports.may_manage(report, people["root"].id, "admin")
    assert not reports.may_manage(report, people["victor"].id, "user")


def test_the_listing_holds_only_what_the_user_may_view(svc, people):
    put(svc, "a")
    put(svc, "b", groups=("hr",))
    put(svc, "c", owner="lena", groups=())
    assert [r.id for r in svc.reports.library.visible_to(people["victor"].id)] == ["a"]
    assert sorted(r.id for r in svc.reports.library.visible_to(people["olivia"].id)) == ["a", "b"]
    assert svc.reports.library.visible_to(people["root"].id) == []


def test_concurrent_first_registrations_of_one_report_all_succeed(svc, people):
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: put(svc, "race"), range(8)))
    assert {r.id for r in results} == {"race"}
    with svc.store.read() as connection:
        assert connection.execute(select(func.count()).select_from(reports_table)
                                  .where(reports_table.c.id == "race")).scalar_one() == 1
