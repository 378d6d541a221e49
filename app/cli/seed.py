import click


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True)
def seed_demo(if_empty):
    """placeholder"""
