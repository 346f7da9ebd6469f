"""The clause tests can fail: each enforcement point of the agreement, turned into a no-op
in turn, must make at least one of its clause tests fail (a mutation check, issue 18).

Each row names the point (where the gateway keeps a promise), what replaces it, and the
clause tests that must notice. The tests run in this process, SQLite only, with the
point patched for their session; the table is in the README's privacy section.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.oidc.claims import CLAIMS

HERE = Path(__file__).parent


def _nothing(*args, **kwargs):
    return None


def _always(value):
    return lambda *args, **kwargs: value


@dataclass(frozen=True)
class Point:
    clause: str
    target: str  # "module:attribute" or "module:Class.attribute"
    replacement: object
    tests: tuple[str, ...]  # "file::test" under tests/agreement

    @property
    def id(self) -> str:
        module, _, attribute = self.target.partition(":")
        return f"{module.rsplit('.', 1)[-1]}.{attribute}"  # device_reports.consent


def _set(owner, name: str, value) -> None:
    if isinstance(owner, type) or not hasattr(owner, "__dataclass_fields__"):
        setattr(owner, name, value)
    else:  # a category or holding: a frozen dataclass every holder shares, changed in place
        object.__setattr__(owner, name, value)


POINTS = (
    Point("1.4, 1.5: consent checked where the action happens", "gateway.consent:require",
          _nothing, ("test_1_3_to_1_6_permissions.py::test_1_4_refusing_camera_turns_off_only_"
                     "the_apps_own_scanner",
                     "test_1_3_to_1_6_permissions.py::test_1_5_refusing_push_turns_off_only_"
                     "notifications")),
    Point("1.5: withdrawing push removes the subscription", "gateway.push.reactions:"
          "on_push_withdrawn", _nothing,
          ("test_1_3_to_1_6_permissions.py::test_1_5_withdrawing_push_removes_the_"
           "subscription_at_once",)),
    Point("1.5: signing out removes the phone's subscription", "gateway.push.reactions:"
          "on_signed_out", _nothing,
          ("test_1_3_to_1_6_permissions.py::test_1_5_a_phone_signed_out_keeps_no_subscription_"
           "and_gets_no_notifications",)),
    Point("rights: revoking a device removes its subscription", "gateway.push.reactions:"
          "on_device_revoked", _nothing,
          ("test_rights_of_the_user.py::test_rights_revoking_a_device_removes_its_push_"
           "subscription",)),
    Point("1.5: push consent is checked for every delivery", "gateway.push.consent_check:"
          "_query", lambda connection, versions, changes, pairs: set(pairs),
          ("test_1_3_to_1_6_permissions.py::test_1_5_push_consent_is_checked_again_for_every_"
           "notification",)),
    Point("1.7: every endpoint that needs a caller authenticates it", "gateway.web.api:"
          "_authenticate", _nothing,
          ("test_1_7_not_callable_by_other_systems.py::test_1_7_a_key_calls_only_what_its_"
           "scope_allows",)),
    Point("1.2.1: location stored only with consent", "gateway.privacy.device_reports:"
          "consent", type("Granted", (), {"is_granted": staticmethod(_always(True))}),
          ("test_1_2_device_and_log_information.py::test_1_2_1_without_location_consent_gps_"
           "and_wifi_are_dropped_before_storage",)),
    Point("1.2.1 (PIPL 6, 28): location read only with consent", "gateway.privacy.whereabouts:"
          "consent", type("Granted", (), {"is_granted": staticmethod(_always(True))}),
          ("test_1_2_location_read_only_with_consent.py::test_1_2_1_location_is_read_only_"
           "with_consent",)),
    Point("1.6: nothing collected before a policy is in effect", "gateway.consent:"
          "policy_in_effect", _nothing,
          ("test_1_3_to_1_6_permissions.py::test_1_6_nothing_about_a_device_is_collected_"
           "before_a_policy_is_in_effect",
           "test_1_3_to_1_6_permissions.py::test_1_6_no_phone_is_taken_in_by_scan_before_a_"
           "policy_is_in_effect")),
    Point("2.2: the retention purge runs every category", "gateway.core.personal_data:"
          "DataMap.categories", _always(()),
          ("test_2_storage.py::test_2_2_precise_locations_go_after_their_retention_period",)),
    Point("2.2: notices and acknowledgements expire", "gateway.privacy.retention:NOTICES.purger",
          _always(0), ("test_2_storage.py::test_2_2_notices_served_and_acknowledgements_go_"
                       "after_their_period",)),
    Point("2.2: revoked devices are anonymised", "gateway.privacy.retention:"
          "REVOKED_DEVICES.purger", _always(0),
          ("test_2_storage.py::test_2_2_a_revoked_device_forgets_which_phone_it_was",)),
    Point("2.2: ended QR logins go on the housekeeper's round", "gateway.privacy.retention:"
          "ENDED_FLOWS.purger", _always(0),
          ("test_2_storage.py::test_2_2_ended_qr_logins_go_on_the_housekeepers_round",)),
    Point("2.2: positions go after their period", "gateway.privacy.retention:"
          "PRECISE_LOCATION.purger", _always(0),
          ("test_2_storage.py::test_2_2_precise_locations_go_after_their_retention_period",)),
    Point("2.2: full addresses are cut to their network", "gateway.privacy.retention:"
          "FULL_IP_ADDRESS.purger", _always(0),
          ("test_2_storage.py::test_2_2_full_addresses_are_cut_to_their_network_after_a_week",)),
    Point("2.2: ended sessions go", "gateway.privacy.retention:SESSIONS.purger", _always(0),
          ("test_2_storage.py::test_2_2_ended_sessions_and_old_operations_go",)),
    Point("2.2: the operation log is kept for its period only", "gateway.privacy.retention:"
          "OPERATION_LOG.purger", _always(0),
          ("test_2_storage.py::test_2_2_ended_sessions_and_old_operations_go",)),
    Point("2.2: a deleted account's consent evidence names no one after its period",
          "gateway.privacy.retention:CONSENT_EVIDENCE.purger", _always(0),
          ("test_2_storage.py::test_2_2_consent_evidence_outlives_the_account_for_its_period_"
           "then_names_no_one",)),
    Point("2.2: ended previews go", "gateway.privacy.retention:PREVIEWS.purger", _always(0),
          ("test_2_storage.py::test_2_2_ended_preview_links_and_grants_go_after_their_period",)),
    Point("2.2: sent notifications go", "gateway.push.personal_data:PUSH_DELIVERIES.purger",
          _always(0), ("test_2_storage.py::test_2_2_sent_notifications_and_inbox_messages_go_"
                       "after_their_period",)),
    Point("2.2: inbox messages go", "gateway.push.inbox_data:INBOX.purger", _always(0),
          ("test_2_storage.py::test_2_2_sent_notifications_and_inbox_messages_go_after_their_"
           "period",)),
    Point("2.2: the housekeeper's sweep removes ended logins", "gateway.privacy.sweep:"
          "sweep_ended_flows", _always(0),
          ("test_2_storage.py::test_2_2_ended_logins_and_application_sign_ins_go_on_the_"
           "housekeepers_sweep",)),
    Point("2.2: ended codes and tokens of applications go", "gateway.oidc.ended:ended",
          _always(()), ("test_2_storage.py::test_2_2_ended_logins_and_application_sign_ins_go_"
                        "on_the_housekeepers_sweep",)),
    Point("2.2: the run command starts the housekeeper", "gateway.privacy.housekeeping:"
          "Housekeeper.start", _nothing,
          ("test_2_storage.py::test_2_2_the_run_command_starts_the_housekeeper",)),
    Point("2.2: withdrawing location removes the fixes", "gateway.privacy.device_reports:"
          "on_location_withdrawn", _nothing,
          ("test_2_storage.py::test_2_2_withdrawing_location_consent_removes_the_stored_"
           "fixes_at_once",)),
    Point("2.2: backups are rotated", "gateway.cli.operator:rotate_backups", _always([]),
          ("test_2_storage.py::test_2_2_backups_are_rotated_and_the_doctor_says_they_hold_"
           "personal_data",)),
    Point("3.2: addresses in the operation log are cut at once", "gateway.core.audit:"
          "truncate_ip", lambda ip: ip,
          ("test_3_protection.py::test_3_2_the_operation_log_stores_addresses_truncated_at_"
           "once",)),
    Point("3.3: the doctor names what weakens the deployment", "gateway.core.doctor:inspect",
          _always([]), ("test_3_protection.py::test_3_3_the_checklist_warns_about_every_switch_"
                        "that_weakens_the_deployment",)),
    Point("5: sharing needs the user's consent", "gateway.privacy.partners:authorised",
          _always(True), ("test_5_partner_sharing.py::test_5_nothing_is_shared_without_the_"
                          "users_consent",)),
    Point("5, 6: a decision answers the notice shown now", "gateway.consent.ledger:"
          "require_notice_shown", _nothing,
          ("test_5_partner_sharing.py::test_5_a_grant_counts_only_for_the_terms_the_user_was_"
           "shown",)),
    Point("5: a consent covers the partner's terms", "gateway.consent.state:terms_changed",
          _always(False), ("test_5_partner_sharing.py::test_5_any_change_to_what_is_shared_"
                           "makes_the_consent_stale",)),
    Point("5: the notice states the partner's terms", "gateway.privacy.partner_terms:"
          "notice_terms", _nothing,
          ("test_5_partner_sharing.py::test_5_the_notice_names_the_recipient_its_host_the_"
           "purpose_and_the_fields",)),
    Point("5: an application learns only what the sign-in's scopes release",
          "gateway.oidc.claims:scopes_of", _always(set(CLAIMS)),
          ("test_5_applications.py::test_5_an_application_gets_only_what_the_scopes_of_the_"
           "sign_in_release",)),
    Point("5: an application that asks first waits for the user's answer",
          "gateway.web.oidc:_asks_consent", _always(False),
          ("test_5_applications.py::test_5_an_application_that_asks_first_gets_nothing_when_"
           "the_user_refuses",)),
    Point("6: re-consent is computed when publishing", "gateway.consent.policies:"
          "computed_changes", _always([]),
          ("test_6_policy_changes_announced.py::test_6_a_changed_purpose_is_asked_again_"
           "without_anyone_ticking_it",)),
    Point("6: a changed purpose stops counting", "gateway.consent.state:_status",
          lambda purpose, event, decided, changed: __import__(
              "gateway.consent.state", fromlist=["ConsentStatus"]).ConsentStatus(
              purpose, event.decision if event else "undecided", False, event),
          ("test_6_policy_changes_announced.py::test_6_a_changed_purpose_is_asked_again_"
           "without_anyone_ticking_it",)),
    Point("rights: the export has every holding", "gateway.core.personal_data:Holding.rows",
          _always([]), ("test_rights_of_the_user.py::test_rights_the_export_holds_what_every_"
                        "function_kept",)),
    Point("rights: deletion erases every holding", "gateway.core.personal_data:Holding.erase",
          _always({}), ("test_rights_of_the_user.py::test_rights_deletion_leaves_no_name_"
                        "beside_my_random_id",)),
    Point("rights: push audiences forget a deleted user", "gateway.push.personal_data:"
          "NOTIFICATIONS.eraser", _always({}),
          ("test_rights_of_the_user.py::test_rights_deletion_leaves_no_name_beside_my_random_"
           "id",)),
)


def _owner(target: str):
    """What holds the attribute *target* names, and the attribute's name."""
    module, _, path = target.partition(":")
    owner = __import__(module, fromlist=["_"])
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    return owner, name


class Mutation:
    """A pytest plugin that patches one enforcement point for the session it joins."""

    def __init__(self, point: Point) -> None:
        self.point = point
        self.undo = None

    def pytest_sessionstart(self, session) -> None:
        owner, name = _owner(self.point.target)
        assert hasattr(owner, name), f"{self.point.target} is gone: update the table"
        before = getattr(owner, name)
        _set(owner, name, self.point.replacement)
        self.undo = lambda: _set(owner, name, before)

    def pytest_sessionfinish(self, session) -> None:
        if self.undo is not None:
            self.undo()


def test_every_enforcement_point_is_covered_by_a_clause_test_that_exists():
    for point in POINTS:
        for test in point.tests:
            file, name = test.split("::")
            assert f"def {name}(" in (HERE / file).read_text(), test


def test_the_readme_table_names_every_enforcement_points_clause_tests():
    readme = (HERE.parents[1] / "README.md").read_text()
    for point in POINTS:
        for test in point.tests:
            assert f"`{test.split('::')[1]}`" in readme, f"{point.clause}: add its README row"


def test_every_retention_category_is_an_enforcement_point():
    from gateway.build import personal_data

    purgers = [owner for owner, name in map(_owner, (p.target for p in POINTS))
               if name == "purger"]
    for category in personal_data().categories():
        assert any(owner is category for owner in purgers), f"{category.name}: add a row"


@pytest.mark.parametrize("point", POINTS, ids=lambda p: p.id)
def test_disabling_an_enforcement_point_fails_its_clause_tests(point):
    targets = [str(HERE / test) for test in point.tests]
    code = pytest.main([*targets, "-q", "-x", "-p", "no:cacheprovider", "-k", "not postgresql",
                        "--no-header"], plugins=[Mutation(point)])
    assert code == pytest.ExitCode.TESTS_FAILED, (
        f"{point.clause}: with {point.target} disabled, {', '.join(point.tests)} still pass")
