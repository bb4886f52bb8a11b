"""A fake Microsoft Graph on loopback, recording every request: an Entra token endpoint that msal accepts
(over TLS, as msal demands ``https``, with a certificate made here), sites and drives, a drive's ``delta``
feed paged with ``@odata.nextLink`` and ending in ``@odata.deltaLink``, ``/content`` answering ``302`` to a
separate download host, deleted items, a stale delta link (``410``), and ``429`` with ``Retry-After``.

Tests change the drive between syncs (``add``, ``change``, ``rename``, ``move``, ``delete``) and assert on
``requests``: what was asked, where, and with which token.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bot.listen import listen

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
CLIENT_SECRET = "fake-secret"
HOST = "contoso.sharepoint.com"
SITE_ID = f"{HOST},5a58bb09-1fba-41c1-8125-69da264370a0,9f2ec1da-0be4-4a74-9254-973f0add78fd"
DRIVE_ID = "b!drive-hr-documents"
OTHER_DRIVE_ID = "b!drive-hr-forms"
LIBRARY_URL = f"https://{HOST}/sites/HR/Delte%20dokumenter"
TEAM_ID = "0e7c2b6a-8a64-4d1b-9f2a-3c5e8d9f1a2b"
CHANNEL_ID = "19:a1b2c3d4e5f6@thread.tacv2"
PAGE_SIZE = 2
SERVER = web.AppKey("server", str)


@dataclass
class Recorded:
    server: str  # "login", "graph", "download", "elsewhere"
    method: str
    path: str
    query: dict[str, str]
    authorization: str | None
    at: float


@dataclass
class Node:
    id: str
    name: str
    parent: str | None
    folder: bool
    content: bytes = b""
    changed: int = 0  # the drive's version when this node last changed
    tag: int = 1  # content version (cTag)
    deleted: bool = False


def make_certificate(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A self-signed certificate for 127.0.0.1: the server's context and the file a client trusts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-login")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            True,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "login-cert.pem", directory / "login-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context, cert_path


@dataclass
class FakeGraph:
    """Entra login (TLS), Graph, the download host and an unlisted host, each on its own loopback port."""

    directory: Path
    requests: list[Recorded] = field(default_factory=list)
    nodes: dict[str, Node] = field(default_factory=dict)
    version: int = 0
    oldest_token: int = 0  # delta links older than this answer 410 Gone
    throttle: dict[str, float] = field(default_factory=dict)  # path part -> Retry-After, answered once
    redirect_origin: str | None = None  # where /content redirects to (default: the download host)
    tokens: list[str] = field(default_factory=list)
    ca_file: Path | None = None
    ports: dict[str, int] = field(default_factory=dict)
    _runners: list[web.AppRunner] = field(default_factory=list)
    _counter: int = 0

    # -- addresses ---------------------------------------------------------------------------------
    @property
    def login_url(self) -> str:
        return f"https://127.0.0.1:{self.ports['login']}"

    @property
    def graph_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['graph']}/v1.0"

    @property
    def download_origin(self) -> str:
        return f"http://127.0.0.1:{self.ports['download']}"

    @property
    def elsewhere_origin(self) -> str:
        return f"http://127.0.0.1:{self.ports['elsewhere']}"

    def settings(self) -> dict[str, object]:
        """The settings that point the bot at this fake."""
        return {
            "app_id": CLIENT_ID,
            "app_password": CLIENT_SECRET,
            "tenant_id": TENANT,
            "login_url": self.login_url,
            "graph_url": self.graph_url,
            "download_hosts": [self.download_origin],
        }

    def made(self, server: str, path_part: str = "") -> list[Recorded]:
        return [r for r in self.requests if r.server == server and path_part in r.path]

    # -- the drive ---------------------------------------------------------------------------------
    def _bump(self, node: Node) -> None:
        self.version += 1
        node.changed = self.version

    def _new_id(self) -> str:
        self._counter += 1
        return f"ITEM{self._counter:04d}"

    def folder(self, name: str, parent: str = "root") -> str:
        node = Node(self._new_id(), name, parent, folder=True)
        self.nodes[node.id] = node
        self._bump(node)
        return node.id

    def add(self, name: str, content: bytes, parent: str = "root") -> str:
        node = Node(self._new_id(), name, parent, folder=False, content=content)
        self.nodes[node.id] = node
        self._bump(node)
        return node.id

    def change(self, item_id: str, content: bytes) -> None:
        node = self.nodes[item_id]
        node.content, node.tag = content, node.tag + 1
        self._bump(node)

    def rename(self, item_id: str, name: str) -> None:
        self.nodes[item_id].name = name
        self._bump(self.nodes[item_id])

    def move(self, item_id: str, parent: str) -> None:
        self.nodes[item_id].parent = parent
        self._bump(self.nodes[item_id])  # like Graph: the children of a moved folder are not listed

    def delete(self, item_id: str) -> None:
        node = self.nodes[item_id]
        node.deleted = True
        self._bump(node)

    def _path(self, node: Node) -> str:
        parts: list[str] = []
        while node.parent is not None:
            parts.append(node.name)
            node = self.nodes[node.parent]
        return "/".join(reversed(parts))

    def _json(self, node: Node) -> dict[str, Any]:
        if node.deleted:
            return {"id": node.id, "deleted": {"state": "deleted"}, "parentReference": {"driveId": DRIVE_ID}}
        body: dict[str, Any] = {
            "id": node.id,
            "name": node.name,
            "eTag": f'"{{{node.id}}},{node.changed}"',
            "cTag": f'"c:{{{node.id}}},{node.tag}"',
            "lastModifiedDateTime": f"2026-11-0{1 + node.changed % 9}T10:00:00Z",
            "webUrl": f"{LIBRARY_URL}/{quote(self._path(node))}".rstrip("/"),
            "size": len(node.content),
            "parentReference": {"driveId": DRIVE_ID, "id": node.parent}
            if node.parent
            else {"driveId": DRIVE_ID},
        }
        if node.id == "root":
            body["root"] = {}
            body["folder"] = {"childCount": 0}
        elif node.folder:
            body["folder"] = {"childCount": 0}
        else:
            body["file"] = {"mimeType": "application/octet-stream"}
        return body

    # -- servers -----------------------------------------------------------------------------------
    async def start(self) -> FakeGraph:
        self.nodes["root"] = Node("root", "root", None, folder=True)
        self.nodes["general"] = Node("general", "General", "root", folder=True)
        context, self.ca_file = make_certificate(self.directory)
        for server, handler in (
            ("login", self._login),
            ("graph", self._graph),
            ("download", self._download),
            ("elsewhere", self._download),
        ):
            app = web.Application()
            app[SERVER] = server
            app.router.add_route("*", "/{tail:.*}", handler)
            if server == "login":
                runner = web.AppRunner(app, access_log=None)
                await runner.setup()
                site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
                await site.start()
                port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            else:
                runner, port = await listen(app)
            self._runners.append(runner)
            self.ports[server] = port
        return self

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()

    def _record(self, request: web.Request) -> None:
        self.requests.append(
            Recorded(
                request.app[SERVER],
                request.method,
                request.path,
                dict(request.query),
                request.headers.get("Authorization"),
                time.monotonic(),
            )
        )

    async def _login(self, request: web.Request) -> web.Response:
        self._record(request)
        base = f"{self.login_url}/{TENANT}"
        if request.path == f"/{TENANT}/v2.0/.well-known/openid-configuration":
            return web.json_response(
                {
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "issuer": f"{base}/v2.0",
                }
            )
        if request.path == f"/{TENANT}/oauth2/v2.0/token" and request.method == "POST":
            form = await request.post()
            if (
                form.get("grant_type") != "client_credentials"
                or form.get("client_id") != CLIENT_ID
                or form.get("client_secret") != CLIENT_SECRET
            ):
                return web.json_response({"error": "invalid_client"}, status=401)
            if form.get("scope") != f"http://127.0.0.1:{self.ports['graph']}/.default":
                return web.json_response({"error": "invalid_scope"}, status=400)
            token = f"token-{len(self.tokens) + 1}"
            self.tokens.append(token)
            return web.json_response({"token_type": "Bearer", "expires_in": 3599, "access_token": token})
        return web.json_response({"error": "not_found"}, status=404)

    async def _download(self, request: web.Request) -> web.Response:
        self._record(request)
        for part, seconds in list(self.throttle.items()):
            if part in request.path:
                del self.throttle[part]
                return web.Response(status=503, headers={"Retry-After": f"{seconds:g}"})
        item_id = request.path.rsplit("/", 1)[-1]
        node = self.nodes.get(item_id)
        if node is None or node.deleted or request.query.get("tempauth") != f"ok-{item_id}":
            return web.Response(status=404)
        return web.Response(body=node.content, content_type="application/octet-stream")

    async def _graph(self, request: web.Request) -> web.Response:
        self._record(request)
        path = request.path.removeprefix("/v1.0")
        for part, seconds in list(self.throttle.items()):
            if part in path:
                del self.throttle[part]
                return web.json_response(
                    {"error": {"code": "TooManyRequests"}},
                    status=429,
                    headers={"Retry-After": f"{seconds:g}"},
                )
        if request.headers.get("Authorization") not in {f"Bearer {t}" for t in self.tokens}:
            return web.json_response({"error": {"code": "InvalidAuthenticationToken"}}, status=401)
        return self._route(path, request.query)

    def _route(self, path: str, query: Any) -> web.Response:
        missing = web.json_response({"error": {"code": "itemNotFound"}}, status=404)
        if path == f"/sites/{HOST}:/sites/HR":
            return web.json_response({"id": SITE_ID, "webUrl": f"https://{HOST}/sites/HR"})
        if path == f"/sites/{SITE_ID}/drives":
            return web.json_response(
                {
                    "value": [
                        {
                            "id": OTHER_DRIVE_ID,
                            "name": "Formularer",
                            "webUrl": f"https://{HOST}/sites/HR/Formularer",
                        },
                        {"id": DRIVE_ID, "name": "Dokumenter", "webUrl": LIBRARY_URL},
                    ]
                }
            )
        if path == f"/teams/{TEAM_ID}/channels/{CHANNEL_ID}/filesFolder":
            return web.json_response(self._json(self.nodes["general"]))
        prefix = f"/drives/{DRIVE_ID}"
        if not path.startswith(prefix):
            return missing
        rest = path.removeprefix(prefix)
        if rest == "/root":
            return web.json_response(self._json(self.nodes["root"]))
        if rest.startswith("/root:/"):
            wanted = rest.removeprefix("/root:/").rstrip(":")
            for node in self.nodes.values():
                if not node.deleted and node.parent and self._path(node) == wanted:
                    return web.json_response(self._json(node))
            return missing
        if rest == "/root/delta":
            return self._delta(query)
        if rest.startswith("/items/"):
            item_id, _, tail = rest.removeprefix("/items/").partition("/")
            node = self.nodes.get(item_id)
            if node is None or node.deleted:
                return missing
            if tail == "content":
                where = self.redirect_origin or self.download_origin
                raise web.HTTPFound(f"{where}/dl/{item_id}?tempauth=ok-{item_id}")
            if tail == "":
                return web.json_response(self._json(node))
            if tail == "children":
                kids = [self._json(n) for n in self.nodes.values() if n.parent == item_id and not n.deleted]
                return web.json_response({"value": kids})
        return missing

    def _delta(self, query: Any) -> web.Response:
        token = query.get("token")
        since = int(token) if token else None
        if since is not None and since < self.oldest_token:
            return web.json_response({"error": {"code": "resyncRequired"}}, status=410)
        if since is None:
            listed = [n for n in self.nodes.values() if not n.deleted]
        else:
            listed = sorted((n for n in self.nodes.values() if n.changed > since), key=lambda n: n.changed)
        page = int(query.get("page", "0"))
        chunk = listed[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        body: dict[str, Any] = {"value": [self._json(n) for n in chunk]}
        base = f"{self.graph_url}/drives/{quote(DRIVE_ID, safe='')}/root/delta"
        if (page + 1) * PAGE_SIZE < len(listed):
            body["@odata.nextLink"] = f"{base}?token={token or ''}&page={page + 1}"
        else:
            body["@odata.deltaLink"] = f"{base}?token={self.version}"
        return web.json_response(body)
