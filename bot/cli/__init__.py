"""The ``aarhusai`` command line."""

from bot.cli import apikeys as _apikeys  # noqa: F401  (registers its commands)
from bot.cli import connections as _connections  # noqa: F401  (registers its commands)
from bot.cli import governance as _governance  # noqa: F401  (registers its commands)
from bot.cli import insights as _insights  # noqa: F401  (registers its commands)
from bot.cli import manifest as _manifest  # noqa: F401  (registers its commands)
from bot.cli import specialists as _specialists  # noqa: F401  (registers its commands)
from bot.cli._base import app


def main() -> None:
    app()


__all__ = ["app", "main"]
