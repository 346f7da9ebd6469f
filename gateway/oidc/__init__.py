"""The OpenID Provider: relying parties (BI servers) registered by the admin, their
authorization requests waiting for a sign-in, authorization codes, tokens and the claims
released about a user. Flask-free; the protocol itself is Authlib's, wired in
``gateway.web.oidc_server``."""
