"""login_codes: one-time login codes of the printed slips and invitation e-mails, stored as hashes

Revision ID: e974ce73b77b
Revises: 802dfadc07e0
Create Date: 2026-12-08 00:57:43.566769

"""
from alembic import op
import sqlalchemy as sa

import sponsor_app.models.types


# revision identifiers, used by Alembic.
revision = 'e974ce73b77b'
down_revision = '802dfadc07e0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=255), nullable=False),
    sa.Column('purpose', sa.Enum('slip', 'email', name='logincodepurpose', native_enum=False, length=10), nullable=False),
    sa.Column('created_at', sponsor_app.models.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sponsor_app.models.types.UTCDateTime(), nullable=False),
    sa.Column('used_at', sponsor_app.models.types.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', sponsor_app.models.types.UTCDateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_login_codes_created_by_id_users')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_login_codes_school_id_schools')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_codes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_codes'))
    )
    with op.batch_alter_table('login_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_codes_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_codes_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('login_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_codes_user_id'))
        batch_op.drop_index(batch_op.f('ix_login_codes_school_id'))

    op.drop_table('login_codes')
