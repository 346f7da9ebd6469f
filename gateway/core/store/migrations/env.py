"""Alembic environment: runs on the connection the gateway hands it (see Store.upgrade)."""

from alembic import context

from gateway.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
