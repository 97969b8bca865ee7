"""Alembic environment: runs on the connection handed over by ``dtc_api.store.migrate``."""

from alembic import context

from dtc_api.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `dtc-api migrate`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite can only ALTER tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
