"""Every table of the gateway, gathered for Alembic and the tests: import a domain's table
module here when you add one."""

# Importing a table module registers its tables on `metadata`.
from gateway.store import (  # noqa: F401
    audit_tables,
    consent_tables,
    enrollment_tables,
    integration_tables,
    preview_tables,
    privacy_tables,
    push_tables,
    qrlogin_tables,
    tables,
)
from gateway.store.metadata import metadata

__all__ = ["metadata"]
