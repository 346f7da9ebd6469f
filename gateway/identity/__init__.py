"""Who is who: accounts and groups, devices and their tokens and proofs, browser
sessions, and the integration keys other systems call the gateway with; ``service.Identity``
binds them once to the store, clock, signer, password hasher and the reactions to a
device's revocation and sign-out (``gateway.build`` makes it)."""
