"""``aarhusai manifest build``: the Teams app package (zip) an administrator uploads."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli._base import _fail, app
from bot.teams.manifest import (
    DEFAULT_DOMAIN,
    DEFAULT_NAME,
    DEFAULT_PACKAGE_NAME,
    MANIFEST_VERSION,
    ManifestError,
    build_manifest,
    write_package,
)

manifest_app = typer.Typer(help="Teams-app-pakken: manifest og ikoner.", no_args_is_help=True)
app.add_typer(manifest_app, name="manifest")


@manifest_app.command("build")
def manifest_build(
    app_id: Annotated[
        str,
        typer.Option(
            "--app-id",
            envvar="AARHUSAI_APP_ID",
            help="Entra-appens klient-id (GUID) fra Azure Bot-registreringen; bruges også som bot-id.",
        ),
    ],
    name: Annotated[str, typer.Option(help="Appens navn i Teams (højst 30 tegn).")] = DEFAULT_NAME,
    domain: Annotated[
        str, typer.Option(help="Tjenestens offentlige værtsnavn, uden https:// (fx aarhusai.aarhus.dk).")
    ] = DEFAULT_DOMAIN,
    out: Annotated[Path, typer.Option(help="Zip-filen der skrives (eller en mappe at lægge den i).")] = Path(
        DEFAULT_PACKAGE_NAME
    ),
) -> None:
    """Byg Teams-app-pakken (manifest.json, color.png, outline.png), som en administrator uploader
    i Teams Admin Center."""
    try:
        manifest = build_manifest(app_id, name=name, domain=domain)
        written = write_package(manifest, out)
    except ManifestError as exc:
        raise _fail(exc) from None
    except OSError as exc:
        raise _fail(f"kan ikke skrive {out}: {exc.strerror or exc}") from None
    typer.echo(
        f"Teams-app-pakken er skrevet til {written.resolve()} "
        f"(manifest {MANIFEST_VERSION}, app-id {manifest['id']}, domæne {manifest['validDomains'][0]})"
    )
