"""Root of the schema history; the audit and workflow branches grow from here.

Revision ID: 0001_base
"""

revision = "0001_base"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
