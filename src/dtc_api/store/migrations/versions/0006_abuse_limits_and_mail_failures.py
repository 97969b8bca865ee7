"""abuse limits and mail failures

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 07:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # --- login throttling and registration limits ---
    # Failures are counted per account and client address, and per account ("" as client).
    # The counts so far are dropped: at worst an account's guessers get their free
    # failures again.
    _drop_login_failures()
    _create_login_failures(sa.Column("client", sa.String(length=100), nullable=False))
    # --- mail outbox ---
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column("text_body", existing_type=sa.Text(), nullable=True)
        batch_op.alter_column("html_body", existing_type=sa.Text(), nullable=True)
        batch_op.drop_constraint(op.f("ck_outbox_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_outbox_status"), "status IN ('pending', 'sending', 'sent', 'failed')")
    # Sent messages keep no body (a reset link must not outlive its delivery).
    op.execute("UPDATE outbox SET text_body = NULL, html_body = NULL WHERE status = 'sent'")


def downgrade() -> None:
    # --- mail outbox ---
    op.execute("DELETE FROM outbox WHERE status = 'failed'")
    op.execute("UPDATE outbox SET text_body = '', html_body = '' WHERE text_body IS NULL")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_outbox_status"), "status IN ('pending', 'sending', 'sent')")
        batch_op.alter_column("html_body", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("text_body", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("failed_at")
    pass
    # --- login throttling and registration limits ---
    _drop_login_failures()
    _create_login_failures()


def _drop_login_failures() -> None:
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failures_last_failure_at"))
    op.drop_table("login_failures")


def _create_login_failures(*client: sa.Column) -> None:
    op.create_table(
        "login_failures",
        sa.Column("email_key", sa.String(length=320), nullable=False),
        *client,
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email_key", *(c.name for c in client),
                                name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_failures_last_failure_at"), ["last_failure_at"], unique=False
        )
