"""Who is who: accounts and groups, devices and their tokens and proofs, browser
sessions, and the integration keys other systems call the gateway with."""
