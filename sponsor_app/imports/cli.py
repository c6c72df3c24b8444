"""`flask import students|staff FILE` (filled in by the import feature)."""

import click
from flask.cli import AppGroup

import_group = AppGroup("import", help="Import class and staff lists from Excel exports.")


@import_group.command("students")
@click.argument("file")
def import_students(file):
    """Import a class list."""
    raise click.ClickException("not implemented yet")
