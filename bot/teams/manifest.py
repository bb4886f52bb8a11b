"""The Teams app package: ``manifest.json`` from the packaged template, and the zip an admin uploads.

The template and the two icons live in ``bot/teams/appmanifest/`` so that they ship inside the
installed package (read with :mod:`importlib.resources`). The template is a Teams manifest with four
placeholders, filled in by :func:`build_manifest`: ``{{APP_ID}}`` (the Entra app id, which is also
the bot id), ``{{NAME}}``, ``{{DOMAIN}}`` and ``{{VERSION}}``.

Microsoft's JSON schema is the authority on the manifest's shape (``appmanifest/validator/``
checks against it, offline). On top of that, :func:`teams_limit_problems` checks the limits Teams
documents for the bot command menu, which are stricter than the schema (the v1.30 schema allows
128-character titles and 12 commands per list).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import zipfile
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from bot import __version__
from bot.errors import ConfigError

MANIFEST_VERSION = "1.30"
SCHEMA_URL = (
    f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
)
DEFAULT_NAME = "AarhusAI"
DEFAULT_DOMAIN = "aarhusai.aarhus.dk"
DEFAULT_PACKAGE_NAME = "aarhusai.zip"
TEMPLATE = "manifest.template.json"
ICONS = {"color": "color.png", "outline": "outline.png"}
ICON_SIZES = {"color.png": (192, 192), "outline.png": (32, 32)}
PACKAGE_FILES = ("manifest.json", "color.png", "outline.png")

# Limits Teams documents for bot command menus (stricter than the JSON schema).
MAX_NAME = 30
MAX_COMMANDS_PER_SCOPE = 10
MAX_COMMAND_TITLE = 32
MAX_COMMAND_DESCRIPTION = 128
MAX_PROMPT = 128  # a prompt starter's text (``type: prompt``): what Teams sends when it is picked

GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
SEMVER = re.compile(r"^(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)$")
HOSTNAME = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$"
)
PLACEHOLDER = re.compile(r"\{\{[A-Z_]+\}\}")
# Zip entries get a fixed timestamp so the same input always gives the same package.
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


class ManifestError(ConfigError, ValueError):
    """The manifest cannot be built as asked; the message is one Danish line for the operator."""


def _asset(name: str) -> Traversable:
    return resources.files("bot.teams").joinpath("appmanifest", name)


def load_template() -> dict[str, Any]:
    """The packaged manifest template, placeholders and all."""
    try:
        return json.loads(_asset(TEMPLATE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ManifestError(f"kan ikke læse manifest-skabelonen ({type(exc).__name__}): {exc}") from None


def icon_bytes(name: str) -> bytes:
    """One of the packaged icons, ``color.png`` or ``outline.png``."""
    if name not in ICON_SIZES:
        raise ManifestError(f"ukendt ikon: {name!r}")
    try:
        return _asset(name).read_bytes()
    except OSError as exc:
        raise ManifestError(f"kan ikke læse ikonet {name} ({type(exc).__name__}): {exc}") from None


def _fill(value: Any, values: dict[str, str]) -> Any:
    """Replace ``{{KEY}}`` inside every string of the JSON structure (never in the JSON text)."""
    if isinstance(value, str):
        for key, replacement in values.items():
            value = value.replace("{{" + key + "}}", replacement)
        return value
    if isinstance(value, list):
        return [_fill(item, values) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, values) for key, item in value.items()}
    return value


def _leftover_placeholders(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(PLACEHOLDER.findall(value))
    if isinstance(value, list):
        return set().union(*(_leftover_placeholders(item) for item in value))
    if isinstance(value, dict):
        return set().union(*(_leftover_placeholders(item) for item in value.values()))
    return set()


def teams_limit_problems(manifest: dict[str, Any]) -> list[str]:
    """What in the bot's command menus breaks Teams' documented limits (Danish, one line each)."""
    problems: list[str] = []
    for bot in manifest.get("bots", []):
        seen: dict[str, int] = {}
        for command_list in bot.get("commandLists", []):
            commands = command_list.get("commands", [])
            for scope in command_list.get("scopes", []):
                seen[scope] = seen.get(scope, 0) + len(commands)
            for command in commands:
                title = command.get("title", "")
                description = command.get("description", "")
                if not title or len(title) > MAX_COMMAND_TITLE:
                    problems.append(
                        f"kommandotitlen {title!r} skal være 1-{MAX_COMMAND_TITLE} tegn (har {len(title)})"
                    )
                if len(description) > MAX_COMMAND_DESCRIPTION:
                    problems.append(
                        f"beskrivelsen af {title} må højst være {MAX_COMMAND_DESCRIPTION} tegn "
                        f"(har {len(description)})"
                    )
                problems += _prompt_problems(command)
        for scope, count in seen.items():
            if count > MAX_COMMANDS_PER_SCOPE:
                problems.append(
                    f"Teams viser højst {MAX_COMMANDS_PER_SCOPE} kommandoer pr. scope; {scope} har {count}"
                )
    return problems


def _prompt_problems(command: dict[str, Any]) -> list[str]:
    """A prompt starter (``type: prompt``) sends its ``prompt`` as the user's message: it needs one, of at
    most ``MAX_PROMPT`` characters, and it is a question, never a command; a command needs no prompt."""
    title, prompt = command.get("title", ""), command.get("prompt")
    if command.get("type") != "prompt":
        return [f"{title} har en prompt, men ikke type prompt"] if prompt is not None else []
    if not isinstance(prompt, str) or not prompt.strip() or len(prompt) > MAX_PROMPT:
        size = len(prompt) if isinstance(prompt, str) else 0
        return [f"promptstarteren {title!r} skal have en prompt på 1-{MAX_PROMPT} tegn (har {size})"]
    if prompt.lstrip().startswith("/") or title.startswith("/"):
        return [f"promptstarteren {title!r} skal være et spørgsmål, ikke en kommando"]
    return []


def build_manifest(
    app_id: str,
    name: str = DEFAULT_NAME,
    domain: str = DEFAULT_DOMAIN,
    version: str = __version__,
) -> dict[str, Any]:
    """The Teams manifest for this service, as a dict ready for ``manifest.json``.

    ``app_id`` is the Entra app (client) id of the Azure Bot registration; it is used as the app id,
    the bot id and for single sign-on (``webApplicationInfo``). ``domain`` is the public host name
    the service answers on. Raises :class:`ManifestError` with one Danish line on bad input.
    """
    app_id = app_id.strip()
    if not GUID.match(app_id):
        raise ManifestError(
            f"app-id'et skal være et GUID (Entra-appens klient-id, fx 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0); "
            f"fik {app_id!r}"
        )
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise ManifestError(f"navnet skal være 1-{MAX_NAME} tegn på én linje (Teams' grænse); fik {name!r}")
    domain = domain.strip().lower()
    if not HOSTNAME.match(domain):
        raise ManifestError(
            f"domænet skal være et værtsnavn uden https:// og sti, fx {DEFAULT_DOMAIN}; fik {domain!r}"
        )
    if not SEMVER.match(version):
        raise ManifestError(f"versionen skal have formen X.Y.Z (semver), som Teams kræver; fik {version!r}")

    manifest = _fill(
        load_template(), {"APP_ID": app_id.lower(), "NAME": name, "DOMAIN": domain, "VERSION": version}
    )
    leftover = _leftover_placeholders(manifest)
    if leftover:
        raise ManifestError(f"manifest-skabelonen har ukendte pladsholdere: {', '.join(sorted(leftover))}")
    problems = teams_limit_problems(manifest)
    if problems:
        raise ManifestError("manifest-skabelonen overskrider Teams' grænser: " + "; ".join(problems))
    return manifest


def write_package(manifest: dict[str, Any], out: Path) -> Path:
    """Write the app package: a zip with ``manifest.json``, ``color.png`` and ``outline.png`` at its
    root, which is what an admin uploads in the Teams admin centre. ``out`` is the zip file (or an
    existing directory to write ``aarhusai.zip`` into). The file is replaced atomically; the same
    manifest always gives the same bytes. Returns the path written."""
    if manifest.get("icons") != ICONS:
        raise ManifestError(f"manifestets ikoner skal være {ICONS}; fik {manifest.get('icons')!r}")
    out = Path(out)
    if out.is_dir():
        out = out / DEFAULT_PACKAGE_NAME
    entries = {
        "manifest.json": (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
        "color.png": icon_bytes("color.png"),
        "outline.png": icon_bytes("outline.png"),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w") as archive:
            for name in PACKAGE_FILES:
                info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, entries[name])
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, out)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return out
