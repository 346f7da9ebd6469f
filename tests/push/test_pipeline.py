"""The delivery worker's pipeline against the local push service: a large claim encrypted
in parts, messages made ready ahead of free sending slots, and a large audience expanded
ahead of its claims."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gateway.push.sending import ENCRYPTION_PART

pytestmark = pytest.mark.push_service

def test_a_large_claim_is_encrypted_in_parts_each_sent_as_it_comes_back(kit, service):
    count = ENCRYPTION_PART * 3 + 5
    for index in range(count):
        kit.device(f"user{index}")
    worker = kit.worker(options=replace(kit.worker().options, encrypt_processes=1))
    events, encrypt, send = [], worker.encryptor.encrypt, worker.send

    async def encrypting(items):
        bodies = await encrypt(items)
        events.append(("encrypted", len(items)))
        return bodies

    def sending(message, body):
        events.append(("sent", 1))
        return send(message, body)

    worker.encryptor.encrypt, worker.send = encrypting, sending
    notification = kit.send(*[f"user{index}" for index in range(count)])
    try:
        kit.drain()
    finally:
        worker.close()
    assert kit.states(notification) == {"delivered": count}
    parts = [n for kind, n in events if kind == "encrypted"]
    assert sum(parts) == count and max(parts) <= ENCRYPTION_PART
    # The helper encrypts the next parts while the first ones are on their way.
    last_part = max(i for i, (kind, _) in enumerate(events) if kind == "encrypted")
    assert ("sent", 1) in events[:last_part]


def test_messages_are_made_ready_ahead_while_no_more_requests_than_slots_are_out(kit, service):
    count = 20
    for index in range(count):
        kit.device(f"user{index}")
    options = replace(kit.worker().options, concurrency=4, origin_concurrency=3)
    worker = kit.worker(options=options)
    events, out = [], [0, 0]
    encrypt, send, answered = worker.encrypt, worker.send, worker.answered

    async def encrypting(messages):
        events.append(("encrypted", len(messages)))
        return await encrypt(messages)

    def sending(message, body):
        out[0] += 1
        out[1] = max(out)
        return send(message, body)

    def answering(message, started, answer):
        out[0] -= 1
        events.append(("answered", 1))
        return answered(message, started, answer)

    worker.encrypt, worker.send, worker.answered = encrypting, sending, answering
    notification = kit.send(*[f"user{index}" for index in range(count)])
    kit.drain()
    assert kit.states(notification) == {"delivered": count}
    # Before the first answer, more messages were encrypted than there are slots: a slot
    # that frees takes one of them at once ...
    first_answer = events.index(("answered", 1))
    ready = sum(n for kind, n in events[:first_answer] if kind == "encrypted")
    assert ready == worker.capacity(3) > 3
    # ... and yet no more requests were out at once than the push service's slots.
    assert out[1] == 3


def test_a_large_audience_is_expanded_ahead_so_claims_never_wait_for_expansion(kit, service):
    count = 40
    for index in range(count):
        kit.device(f"user{index}")
    options = replace(kit.worker().options, concurrency=4, origin_concurrency=4)
    # A look expands 16 deliveries at most (two claims' worth: a claim takes 8), in chunks
    # of 4 users.
    worker = kit.worker(options=options, expand_enough=16, chunk=4)
    events, expand, claimed = [], worker.expand_due, worker._claimed

    def expanding():
        made = expand()
        events.append(("expanded", made))
        return made

    def claiming(messages, failed, dry):
        events.append(("claimed", len(messages), dry))
        return claimed(messages, failed, dry)

    worker.expand_due, worker._claimed = expanding, claiming
    notification = kit.send(*[f"user{index}" for index in range(count)])
    kit.drain()
    assert kit.states(notification) == {"delivered": count}
    assert sum(made for kind, made, *_ in events if kind == "expanded") == count
    # The next part was expanded while the last one was being claimed: no claim came back
    # short (the queue run dry) until the whole audience was expanded.
    last_part = max(i for i, (kind, made, *_) in enumerate(events)
                    if kind == "expanded" and made)
    assert not [e for e in events[:last_part] if e[0] == "claimed" and e[2]]
