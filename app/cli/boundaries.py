import click


@click.command("import-boundaries")
def import_boundaries():
    """placeholder"""
