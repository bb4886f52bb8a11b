"""The Teams app package: manifest, icons, zip, ``aarhusai manifest build`` and Microsoft's schema.

Schema checks run the offline validator in ``appmanifest/validator`` (Node.js and the pinned npm
package ``@microsoft/app-manifest``); install it with ``npm ci --prefix appmanifest/validator``.
"""

from __future__ import annotations

import copy
import io
import json
import os
import shutil
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from bot import __version__
from bot.commands import CommandRegistry, parse_command
from bot.commands import help as help_commands
from bot.commands import sources as source_commands
from bot.commands import specialists as specialist_commands
from bot.messages import t
from bot.teams.manifest import (
    MANIFEST_VERSION,
    SCHEMA_URL,
    ManifestError,
    build_manifest,
    load_template,
    teams_limit_problems,
    write_package,
)

REPO = Path(__file__).resolve().parents[1]
VALIDATOR = REPO / "appmanifest" / "validator"
APP_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
DOMAIN = "aarhusai.example.dk"
AARHUS_BLUE = (0x0C, 0x3E, 0x6E)
BOT_COMMANDS = {
    "hjælp",
    "specialister",
    "brug",
    "ny",
    "rediger",
    "prompt",
    "indstil",
    "kilder",
    "fjern",
    "genindekser",
}
# The personal menu: the everyday commands and the Builders' first steps, then the general assistant's
# prompt starters (Teams shows at most 10 entries a scope; the other Builder commands are in /hjælp).
PERSONAL_COMMANDS = {"hjælp", "specialister", "brug", "ny", "rediger", "kilder"}


def validator_command() -> list[str]:
    """``node appmanifest/validator/validate.js``; fails (never skips) when it cannot run."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed for the manifest schema tests: install node (20 or newer)")
    if not (VALIDATOR / "node_modules" / "@microsoft" / "app-manifest" / "package.json").is_file():
        pytest.fail(
            "the offline Teams manifest validator is not installed: run "
            "`npm ci --prefix appmanifest/validator`"
        )
    return [node, str(VALIDATOR / "validate.js")]


def validate(manifest: dict[str, Any], tmp_path: Path) -> tuple[int, dict[str, Any]]:
    """Run the offline validator on the manifest: (exit status, its JSON report)."""
    path = tmp_path / f"manifest-{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    result = subprocess.run([*validator_command(), str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode in (0, 1), (
        f"validator broke ({result.returncode}): {result.stdout}{result.stderr}"
    )
    report = json.loads(result.stdout)
    assert report["valid"] is (result.returncode == 0)
    return result.returncode, report


def run_cli(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AARHUSAI_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", "manifest", "build", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def commands_by_scope(manifest: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    lists = manifest["bots"][0]["commandLists"]
    return {scope: cl["commands"] for cl in lists for scope in cl["scopes"]}


# --- the manifest ---------------------------------------------------------------------------------


def test_built_manifest_passes_microsofts_schema(tmp_path: Path) -> None:
    manifest = build_manifest(APP_ID, name="AarhusAI Test", domain=DOMAIN)
    status, report = validate(manifest, tmp_path)
    assert status == 0, report["errors"]
    assert report["errors"] == []
    # ... and against the schema bundled in the npm package, for the version we declare.
    assert report["schemaFile"] == f"build/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
    assert manifest["$schema"] == SCHEMA_URL == report["schema"]
    assert manifest["manifestVersion"] == MANIFEST_VERSION


def test_question_channels_ask_for_resource_specific_consent(tmp_path: Path) -> None:
    """A question channel sees posts without an @mention: Teams delivers them only with the RSC
    permission ChannelMessage.Read.Group (type Application), which the schema accepts where it is."""
    manifest = build_manifest(APP_ID, domain=DOMAIN)
    rsc = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert {"name": "ChannelMessage.Read.Group", "type": "Application"} in rsc
    # a channel's Files folder (/forbind kanal) is found through Graph with File.Read.Group, granted by the
    # team's owner for that team alone (never the tenant-wide Files.Read.All)
    assert {"name": "File.Read.Group", "type": "Application"} in rsc
    assert validate(manifest, tmp_path)[0] == 0
    broken = copy.deepcopy(manifest)  # the validator does look at it: a wrong type is refused
    broken["authorization"]["permissions"]["resourceSpecific"] = [
        {"name": "ChannelMessage.Read.Group", "type": "Sometimes"}
    ]
    status, report = validate(broken, tmp_path)
    assert status == 1 and report["errors"], report


def test_manifest_fills_in_ids_name_domain_and_version() -> None:
    manifest = build_manifest(APP_ID.upper(), name="  Min Assistent ", domain="Bot.Example.DK")
    assert manifest["id"] == manifest["bots"][0]["botId"] == manifest["webApplicationInfo"]["id"] == APP_ID
    assert manifest["webApplicationInfo"]["resource"] == f"api://bot.example.dk/{APP_ID}"
    assert manifest["validDomains"] == ["bot.example.dk"]
    assert manifest["name"]["short"] == "Min Assistent"
    assert manifest["version"] == __version__
    assert "{{" not in json.dumps(manifest)
    assert manifest["developer"]["name"] == "Aarhus Kommune"
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        assert manifest["developer"][key].startswith("https://aarhus.dk/")
    assert manifest["permissions"] == ["identity", "messageTeamMembers"]
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert build_manifest(APP_ID, version="2.3.4")["version"] == "2.3.4"


def test_bot_and_command_menus() -> None:
    manifest = build_manifest(APP_ID)
    [bot] = manifest["bots"]
    assert sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    assert bot["supportsFiles"] is True and bot["isNotificationOnly"] is False
    by_scope = commands_by_scope(manifest)
    assert sorted(by_scope) == ["groupChat", "personal", "team"]
    assert len(bot["commandLists"]) == 3  # one list per scope

    registry = CommandRegistry()
    for command in (help_commands.HELP, *specialist_commands.COMMANDS, *source_commands.COMMANDS):
        registry.register(command)
    for scope, commands in by_scope.items():
        assert 1 <= len(commands) <= 10, scope
        names = []
        for command in (c for c in commands if c.get("type") != "prompt"):
            assert 1 <= len(command["title"]) <= 32 and len(command["description"]) <= 128, command
            assert "prompt" not in command, command
            # Picking a command in Teams sends its title: it must be something the bot understands.
            parsed = parse_command(command["title"])
            assert parsed is not None and registry.get(parsed[0]) is not None, command["title"]
            names.append(registry.get(parsed[0]).name)
        assert len(set(names)) == len(names), f"duplicate command in {scope}"
        assert set(names) == (PERSONAL_COMMANDS if scope == "personal" else BOT_COMMANDS), scope
        if scope in ("team", "groupChat"):
            assert names[:3] == ["hjælp", "specialister", "brug"], scope
    assert teams_limit_problems(manifest) == []


def test_personal_menu_offers_the_general_assistants_prompt_starters() -> None:
    """Prompt starters (``type: prompt``): picking one sends its ``prompt`` as the user's question; they
    are the general assistant's Danish starters, the ones its welcome offers as buttons."""
    by_scope = commands_by_scope(build_manifest(APP_ID))
    prompts = [c for c in by_scope["personal"] if c.get("type") == "prompt"]
    assert [c["prompt"] for c in prompts] == t("general_starters", "da").splitlines()
    for command in prompts:
        assert 1 <= len(command["title"]) <= 32 and 1 <= len(command["description"]) <= 128, command
        assert not command["title"].startswith("/") and parse_command(command["prompt"]) is None
        assert len(command["prompt"]) <= 128
    assert all(c.get("type") != "prompt" for scope in ("team", "groupChat") for c in by_scope[scope])


def test_teams_prompt_starter_limits_are_checked() -> None:
    manifest = build_manifest(APP_ID)
    broken = copy.deepcopy(manifest)
    commands = broken["bots"][0]["commandLists"][0]["commands"]
    starter = next(c for c in commands if c.get("type") == "prompt")
    starter["prompt"] = "x" * 129
    commands[0]["prompt"] = "Hvad kan du?"  # a command (no type prompt) with a prompt
    problems = teams_limit_problems(broken)
    assert len(problems) == 2, problems
    assert "har en prompt, men ikke type prompt" in problems[0] and "1-128 tegn (har 129)" in problems[1]
    starter["prompt"] = "/udgiv"
    commands[0].pop("prompt")
    assert teams_limit_problems(broken) == [
        f"promptstarteren {starter['title']!r} skal være et spørgsmål, ikke en kommando"
    ]


@pytest.mark.parametrize(
    "bad_id",
    ["", "nope", "0f1e2d3c4b5a69788796a5b4c3d2e1f0", APP_ID + "0", "{" + APP_ID + "}", APP_ID[:-1] + "g"],
)
def test_app_id_must_be_a_guid(bad_id: str) -> None:
    with pytest.raises(ManifestError) as caught:
        build_manifest(bad_id)
    message = str(caught.value)
    assert "GUID" in message and "\n" not in message


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"name": "x" * 31}, "navnet"),
        ({"name": "   "}, "navnet"),
        ({"name": "to\nlinjer"}, "navnet"),
        ({"domain": "https://aarhusai.aarhus.dk"}, "domænet"),
        ({"domain": "aarhusai.aarhus.dk/api"}, "domænet"),
        ({"domain": "localhost"}, "domænet"),
        ({"version": "1.0"}, "versionen"),
        ({"version": "0.1.0.dev1"}, "versionen"),
    ],
)
def test_other_bad_input_is_one_danish_line(kwargs: dict[str, str], word: str) -> None:
    with pytest.raises(ManifestError) as caught:
        build_manifest(APP_ID, **kwargs)
    assert str(caught.value).startswith(word) and "\n" not in str(caught.value)


def test_a_30_character_name_is_allowed() -> None:
    assert build_manifest(APP_ID, name="x" * 30)["name"]["short"] == "x" * 30


def test_teams_command_limits_are_checked() -> None:
    manifest = build_manifest(APP_ID)
    too_long = copy.deepcopy(manifest)
    too_long["bots"][0]["commandLists"][1]["commands"][0]["title"] = "/" + "x" * 32
    too_long["bots"][0]["commandLists"][1]["commands"][1]["description"] = "y" * 129
    problems = teams_limit_problems(too_long)
    assert len(problems) == 2 and "1-32 tegn" in problems[0] and "128 tegn" in problems[1]

    too_many = copy.deepcopy(manifest)
    too_many["bots"][0]["commandLists"][0]["commands"].append({"title": "/mere", "description": "mere"})
    assert teams_limit_problems(too_many) == ["Teams viser højst 10 kommandoer pr. scope; personal har 11"]


def test_template_declares_the_schema_it_is_validated_against() -> None:
    template = load_template()
    assert template["$schema"] == SCHEMA_URL and template["manifestVersion"] == MANIFEST_VERSION
    assert template["id"] == "{{APP_ID}}" and template["bots"][0]["botId"] == "{{APP_ID}}"


# --- Microsoft's schema rejects broken manifests ----------------------------------------------------


def _bad_id(m: dict[str, Any]) -> None:
    m["id"] = "aarhusai-bot"


def _bad_scope(m: dict[str, Any]) -> None:
    m["bots"][0]["scopes"] = ["personal", "everyone"]


def _long_title(m: dict[str, Any]) -> None:
    m["bots"][0]["commandLists"][0]["commands"][0]["title"] = "/" + "hjælp" * 26  # 131 > 128


def _bad_command_type(m: dict[str, Any]) -> None:
    m["bots"][0]["commandLists"][0]["commands"][-1]["type"] = "starter"  # only query and prompt exist


@pytest.mark.parametrize(
    ("breakage", "where"),
    [
        (_bad_id, "/id "),
        (_bad_scope, "/bots/0/scopes/1 "),
        (_long_title, "/bots/0/commandLists/0/commands/0/title "),
        (_bad_command_type, "/bots/0/commandLists/0/commands/9/type "),
    ],
)
def test_schema_rejects_broken_manifests(
    breakage: Callable[[dict[str, Any]], None], where: str, tmp_path: Path
) -> None:
    manifest = build_manifest(APP_ID)
    assert validate(manifest, tmp_path)[0] == 0  # the starting point is valid
    broken = copy.deepcopy(manifest)
    breakage(broken)
    status, report = validate(broken, tmp_path)
    assert status == 1 and report["valid"] is False
    assert any(error.startswith(where) for error in report["errors"]), report["errors"]


def test_validator_never_downloads_a_schema(tmp_path: Path) -> None:
    manifest = build_manifest(APP_ID)
    manifest["$schema"] = (
        "https://developer.microsoft.com/json-schemas/teams/v9.99/MicrosoftTeams.schema.json"
    )
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    result = subprocess.run([*validator_command(), str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "nothing is downloaded" in json.loads(result.stdout)["errors"][0]


# --- the zip ----------------------------------------------------------------------------------------


def test_package_holds_manifest_and_icons_at_its_root(tmp_path: Path) -> None:
    manifest = build_manifest(APP_ID, domain=DOMAIN)
    out = write_package(manifest, tmp_path / "nested" / "app.zip")
    assert out == tmp_path / "nested" / "app.zip"
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        assert archive.testzip() is None
        assert json.loads(archive.read("manifest.json").decode("utf-8")) == manifest
        color = Image.open(io.BytesIO(archive.read("color.png")))
        outline = Image.open(io.BytesIO(archive.read("outline.png")))
    assert color.format == outline.format == "PNG"
    assert color.size == (192, 192)
    assert outline.size == (32, 32)

    rgba = np.asarray(color.convert("RGBA"))
    colours = {tuple(int(v) for v in pixel) for pixel in rgba[..., :3].reshape(-1, 3)}
    assert AARHUS_BLUE in colours and (255, 255, 255) in colours  # the white mark on Aarhus blue
    assert (rgba[..., 3] == 255).all()  # full colour, no transparency

    assert outline.mode == "RGBA"
    pixels = np.asarray(outline)
    alpha = pixels[..., 3]
    white = (pixels[..., :3] == 255).all(axis=-1)
    assert (white | (alpha == 0)).all(), "the outline icon may only hold white and transparency"
    assert (alpha == 0).sum() > alpha.size // 3, "the background must be transparent"
    assert (alpha == 255).sum() > 20, "the mark must be visible"
    assert all(outline.getpixel(corner)[3] == 0 for corner in [(0, 0), (31, 0), (0, 31), (31, 31)])


def test_package_is_reproducible_and_can_go_into_a_folder(tmp_path: Path) -> None:
    manifest = build_manifest(APP_ID)
    first = write_package(manifest, tmp_path / "a.zip").read_bytes()
    (tmp_path / "dir").mkdir()
    into_dir = write_package(manifest, tmp_path / "dir")
    assert into_dir == tmp_path / "dir" / "aarhusai.zip"
    assert into_dir.read_bytes() == first
    assert sorted(p.name for p in (tmp_path / "dir").iterdir()) == ["aarhusai.zip"]  # no temp files left


def test_package_refuses_icons_it_does_not_have(tmp_path: Path) -> None:
    manifest = build_manifest(APP_ID)
    manifest["icons"] = {"color": "logo.png", "outline": "outline.png"}
    with pytest.raises(ManifestError):
        write_package(manifest, tmp_path / "app.zip")
    assert not (tmp_path / "app.zip").exists()


# --- the command line -------------------------------------------------------------------------------


def test_cli_builds_a_package_that_passes_the_schema(tmp_path: Path) -> None:
    result = run_cli(
        ["--app-id", APP_ID, "--name", "AarhusAI Test", "--domain", DOMAIN, "--out", "ud/aarhusai.zip"],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = tmp_path / "ud" / "aarhusai.zip"
    assert str(out) in result.stdout and result.stdout.count("\n") == 1
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["id"] == APP_ID and manifest["name"]["short"] == "AarhusAI Test"
    assert manifest["validDomains"] == [DOMAIN]
    status, report = validate(manifest, tmp_path)
    assert status == 0, report["errors"]


def test_cli_defaults_and_app_id_from_the_environment(tmp_path: Path) -> None:
    result = run_cli([], tmp_path, env={"AARHUSAI_APP_ID": APP_ID})
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "aarhusai.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["id"] == APP_ID and manifest["name"]["short"] == "AarhusAI"


@pytest.mark.parametrize("bad_id", ["nope", APP_ID + "0"])
def test_cli_rejects_an_app_id_that_is_not_a_guid(bad_id: str, tmp_path: Path) -> None:
    result = run_cli(["--app-id", bad_id, "--out", "x.zip"], tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Fejl: app-id'et skal være et GUID"), result.stderr
    assert not (tmp_path / "x.zip").exists()
