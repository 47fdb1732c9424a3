"""``python -m pricing.cli.main``: the same command as the ``pricing`` script."""

from pricing.cli import app

if __name__ == "__main__":
    app()
