"""Reports of a campaign: weekly supervision bulletins and monthly statistics reports, generated
from the case data when their tasks come due, with remarks and publication.

Revision ID: 0016
Revises: 0015 (chained after 16b's rate columns once issue-16b was merged; the lead renumbers)
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_instance_id", sa.Integer(), sa.ForeignKey("instance.id"), nullable=False),
        sa.Column("campaign_id", sa.String(200)),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("task_id", sa.String(36), unique=True),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("remarks", sa.Text()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("published_by", sa.String(200)),
    )
    op.create_index("ix_report_campaign_instance_id", "report", ["campaign_instance_id"])
    op.create_index("ix_report_campaign_id", "report", ["campaign_id"])


def downgrade() -> None:
    op.drop_index("ix_report_campaign_id", "report")
    op.drop_index("ix_report_campaign_instance_id", "report")
    op.drop_table("report")
