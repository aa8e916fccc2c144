"""sync devices: seqs acknowledged out of order (events get no ledger row)

Revision ID: 0101
Revises: 0100
Create Date: 2026-12-03 18:35:00.000000
"""

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0101"
down_revision: str | None = "0100"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_devices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("acked_seqs", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    # Ledger rows above a device's watermark become its out-of-order set.
    devices = sa.table(
        "sync_devices",
        sa.column("id", sa.String),
        sa.column("last_seq", sa.Integer),
        sa.column("acked_seqs", sa.JSON),
    )
    entries = sa.table("sync_entries", sa.column("device_id", sa.String), sa.column("seq"))
    bind = op.get_bind()
    above: dict[str, list[int]] = defaultdict(list)
    rows = bind.execute(
        sa.select(entries.c.device_id, entries.c.seq)
        .join(devices, devices.c.id == entries.c.device_id)
        .where(entries.c.seq > devices.c.last_seq)
        .order_by(entries.c.device_id, entries.c.seq)
    )
    for device_id, seq in rows:
        above[device_id].append(seq)
    for device_id, seqs in above.items():
        bind.execute(sa.update(devices).where(devices.c.id == device_id).values(acked_seqs=seqs))


def downgrade() -> None:
    with op.batch_alter_table("sync_devices", schema=None) as batch_op:
        batch_op.drop_column("acked_seqs")
