"""kept_results: results computed from a school's data, kept while its data_version is unchanged

Revision ID: 802dfadc07e0
Revises: 5c3e1f0a9b27
Create Date: 2026-12-06 10:17:28.791341

"""
from alembic import op
import sqlalchemy as sa

import sponsor_app.models.types


# revision identifiers, used by Alembic.
revision = '802dfadc07e0'
down_revision = '5c3e1f0a9b27'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('kept_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=80), nullable=False),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('data_version', sa.BigInteger(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('computed_at', sponsor_app.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_kept_results_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kept_results')),
    sa.UniqueConstraint('school_id', 'kind', name=op.f('uq_kept_results_school_id_kind'))
    )


def downgrade():
    op.drop_table('kept_results')
