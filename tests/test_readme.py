"""The README is part of the product: its configuration table must match the settings."""

import re
from pathlib import Path

from bot.config import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_documented_and_nothing_else() -> None:
    documented = set(re.findall(r"^\| `AARHUSAI_([A-Z_]+)` \|", README.read_text(), flags=re.M))
    actual = {name.upper() for name in Settings.model_fields}
    assert documented == actual


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one() -> None:
    text = README.read_text()
    assert "make run" in text and "make test" in text
    ci = (README.parent / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, flags=re.M)
