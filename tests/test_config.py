from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings


def test_defaults_are_the_embedded_mode() -> None:
    s = load_settings()
    assert s.local_mode
    assert s.locale == "da"
    assert s.uses_embedded_database
    assert s.effective_database_url == f"sqlite:///{(Path('data') / 'aarhusai.db').resolve()}"
    assert s.index_dir == Path("indexes")


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("AARHUSAI_LOCALE=en\nAARHUSAI_PORT=4000\n")
    monkeypatch.setenv("AARHUSAI_PORT", "5000")  # the environment wins over .env
    s = load_settings()
    assert (s.locale, s.port) == ("en", 5000)


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"AARHUSAI_PORT": "abc"}, "AARHUSAI_PORT"),
        ({"AARHUSAI_PORT": "70000"}, "AARHUSAI_PORT"),
        ({"AARHUSAI_LOCALE": "de"}, "AARHUSAI_LOCALE"),
        ({"AARHUSAI_APP_ID": "b9c1e0a4-0000-4000-8000-000000000001"}, "AARHUSAI_APP_PASSWORD"),
    ],
)
def test_invalid_settings_give_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], needle: str
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(SettingsError) as err:
        load_settings()
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("Ugyldig konfiguration")
    assert needle in message


def test_local_mode_refuses_non_loopback_bind() -> None:
    s = load_settings()
    for ok in ("127.0.0.1", "::1", "localhost"):
        s.check_bind(ok)
    for bad in ("0.0.0.0", "10.0.0.5", "::"):
        with pytest.raises(SettingsError, match="lokal tilstand"):
            s.check_bind(bad)


def test_with_app_id_any_interface_is_allowed() -> None:
    s = load_settings(app_id="b9c1e0a4-0000-4000-8000-000000000001", app_password="x")
    assert not s.local_mode
    s.check_bind("0.0.0.0")
