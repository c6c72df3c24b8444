"""Demo school (filled in by the seed feature)."""

import click


@click.command("seed-demo")
def seed_demo_command():
    """Create the demo school."""
    raise click.ClickException("not implemented yet")
