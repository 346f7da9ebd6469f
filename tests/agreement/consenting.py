"""Granting a consent the way the app does, for the clause tests."""

from gateway import consent


def decide(app, device, purpose: str, decision: str = "granted") -> None:
    svc = app.extensions["gateway"]
    with svc.store.write() as connection:
        policy = consent.current_policy(connection, svc.clock)
    if policy is None:
        policy = consent.publish_policy(svc.store, svc.clock, svc.catalogue, version="1.0",
                                        text_="The agreement.", summary="First version",
                                        changes=[p.name for p in svc.catalogue])
    text = consent.notice_text(svc.catalogue.get(purpose), policy)
    with svc.store.write() as connection:
        consent.record(connection, svc.clock, svc.catalogue, user_id=device.user_id,
                       device_id=device.device_id, purpose=purpose, decision=decision,
                       policy_version=policy.version, notice_hash=consent.sha256(text))
