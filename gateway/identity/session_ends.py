"""What ending browser sessions sets off elsewhere (the composition root's reactions): a
hook runs inside the transaction that ends them, and may hand back work to be done once
that transaction has committed (telling other servers, which must not hold it open nor
hear of an ending that was rolled back)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import Connection

from gateway.core.clock import Clock

AfterCommit = Callable[[], None]
# (connection, clock, user_id, session hashes ended, whether every sign-in of the account
# ends) -> what to do after the commit, or None
SessionsEndedHook = Callable[[Connection, Clock, str, tuple[str, ...], bool],
                             AfterCommit | None]


def react(hooks: Iterable[SessionsEndedHook], connection: Connection, clock: Clock,
          user_id: str, session_hashes: tuple[str, ...], *,
          whole_account: bool = False) -> list[AfterCommit]:
    """Run *hooks* for the browser sessions of *user_id* just ended in *connection*; the
    work they hand back, to be run by ``after_commit``."""
    if not session_hashes and not whole_account:
        return []
    afters = []
    for hook in hooks:
        after = hook(connection, clock, user_id, session_hashes, whole_account)
        if after is not None:
            afters.append(after)
    return afters


def after_commit(afters: Iterable[AfterCommit]) -> None:
    """Do the work hooks handed back, now that their transaction has committed."""
    for after in afters:
        after()
