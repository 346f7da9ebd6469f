"""Every table of the gateway, gathered for Alembic and the tests: import a domain's table
module here when you add one."""

# Importing a table module registers its tables on `metadata`.
from gateway.consent import tables as consent_tables  # noqa: F401
from gateway.core import audit_tables  # noqa: F401
from gateway.core.store.metadata import metadata
from gateway.enrollment import tables as enrollment_tables  # noqa: F401
from gateway.identity import integration_tables, tables  # noqa: F401
from gateway.oidc import tables as oidc_tables  # noqa: F401
from gateway.privacy import tables as privacy_tables  # noqa: F401
from gateway.push import inbox_tables  # noqa: F401
from gateway.push import tables as push_tables  # noqa: F401
from gateway.qrlogin import tables as qrlogin_tables  # noqa: F401
from gateway.reports import tables as preview_tables  # noqa: F401

__all__ = ["metadata"]
