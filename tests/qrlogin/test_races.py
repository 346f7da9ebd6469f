"""Races: of 50 concurrent moves on one QR login exactly one wins, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from gateway.core.errors import GatewayError
from gateway.identity import devices
from gateway.identity.devices import DeviceDescription
from gateway.identity.tables import web_sessions
from gateway.qrlogin import logins
from gateway.qrlogin.phone import Phone
from tests.qrlogin_support import Enrollment, Flow, proof

THREADS = 50


def race(work) -> list[tuple[str, object]]:
    """Run work(i) in THREADS threads released together; each outcome is ("won", result),
    ("lost", error class name) or ("crashed", repr) for anything but a domain error."""
    barrier = threading.Barrier(THREADS)
    outcomes: list = [None] * THREADS

    def run(i):
        barrier.wait()
        try:
            outcomes[i] = ("won", work(i))
        except GatewayError as error:
            outcomes[i] = ("lost", type(error).__name__)
        except Exception as error:  # noqa: BLE001 - a crash must fail the test, not vanish
            outcomes[i] = ("crashed", repr(error))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def winners(outcomes):
    kinds = Counter(kind for kind, _ in outcomes)
    assert not kinds["crashed"], [o for o in outcomes if o[0] == "crashed"][:3]
    return [result for kind, result in outcomes if kind == "won"]


def test_fifty_concurrent_confirms_have_one_winner(gateway, people, clock):
    flow = Flow(gateway, people, clock)
    flow.scan()
    number = flow.status().number
    proofs = [proof(flow.device, flow.id, number, clock) for _ in range(THREADS)]
    won = winners(race(lambda i: flow.moves.confirm(
        login_id=flow.id, phone=flow.phone, number=number, proof=proofs[i])))
    assert len(won) == 1 and flow.status().state == "confirmed"


def test_fifty_concurrent_confirms_and_denials_have_one_winner(gateway, people, clock):
    flow = Flow(gateway, people, clock)
    flow.scan()
    number = flow.status().number
    proofs = [proof(flow.device, flow.id, number, clock) for _ in range(THREADS)]

    def confirm_or_deny(i):
        if i % 2:
            return flow.moves.deny(login_id=flow.id, phone=flow.phone).state
        return flow.moves.confirm(login_id=flow.id, phone=flow.phone, number=number,
                                  proof=proofs[i]).state

    won = winners(race(confirm_or_deny))
    assert len(won) == 1 and flow.status().state == won[0]


def test_fifty_concurrent_redeems_have_one_winner_and_open_one_session(gateway, people, clock):
    flow = Flow(gateway, people, clock)
    flow.scan()
    flow.confirm()
    won = winners(race(lambda i: flow.redeem().session_id))
    assert len(won) == 1 and flow.status().state == "redeemed"
    with flow.store.read() as connection:
        sessions = connection.execute(select(func.count()).select_from(web_sessions)
                                      .where(web_sessions.c.method == "qr")).scalar()
    assert sessions == 1


def test_fifty_phones_scanning_one_code_have_one_winner(gateway, people, clock):
    flow = Flow(gateway, people, clock)
    with flow.store.write() as connection:
        phones = [Phone(flow.device.user_id, devices.register(
            connection, clock, flow.device.user_id, DeviceDescription(
                f"phone-{i:04d}", "Pixel 9", "Android", "16", "3.2.0"), None).id, None,
            flow.phone.where) for i in range(THREADS)]
    token = flow.token()
    won = winners(race(lambda i: flow.moves.scan(
        token=token, phone=phones[i], via="link").login.device_id))
    assert len(won) == 1
    with flow.store.read() as connection:
        assert logins.load(connection, flow.id).device_id == won[0]


def test_fifty_concurrent_claims_have_one_winner_and_end_the_offer(gateway, people, clock):
    offer = Enrollment(gateway, people, clock)
    offer.policy()
    won = winners(race(lambda i: offer.claim(device_id=f"phone-{i:04d}").offer.device_id))
    assert len(won) == 1
    assert offer.state() == "denied"  # the other claims were second claims: someone else scanned


def test_fifty_concurrent_approvals_have_one_winner(gateway, people, clock):
    offer = Enrollment(gateway, people, clock)
    claimed = offer.claim()
    won = winners(race(lambda i: offer.approve(claimed.offer.number).state))
    assert won == ["approved"]
    assert len(devices.list_devices(offer.store, offer.user.id)) == 1


def test_fifty_concurrent_collections_hand_out_one_pair_of_tokens(gateway, people, clock):
    offer = Enrollment(gateway, people, clock)
    claimed = offer.claim()
    offer.approve(claimed.offer.number)
    won = winners(race(lambda i: offer.collect(claimed.claim_secret).refresh_token))
    assert len(won) == 1 and offer.state() == "collected"
