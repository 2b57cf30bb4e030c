"""A 1C-like OData server for the tests: real HTTP, 1C's URL layout and JSON shape, faults on demand.

Modelled on 1C:Enterprise's documented standard OData interface (v3): ``$metadata``
as EDMX, ``{"odata.metadata": ..., "value": [...]}`` answers, ``Ref_Key`` GUIDs,
``$filter`` with ``eq``, ``and`` and ``substringof``, ``$top``/``$skip`` paging,
HTTP Basic auth.
"""

from __future__ import annotations

import asyncio
import base64
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ROOT = "/base/odata/standard.odata"


@dataclass
class Peer:
    user: str = "odata"
    password: str = "s3cret-odata-pass"
    sets: dict[str, list[dict]] = field(default_factory=dict)
    fields: dict[str, list[str]] = field(default_factory=dict)
    # status (HTTP code for every answer), slow_s, slow_after_commit (seconds), fail_after_commit,
    # drop_after_commit, malformed (how many answers to spoil)
    faults: dict = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""

    def fault(self, name: str):
        """A countable fault's value, used up once per call (``faults[name]`` = [value, times])."""
        entry = self.faults.get(name)
        if isinstance(entry, list):
            value, times = entry
            if times <= 0:
                return None
            entry[1] = times - 1
            return value
        return entry


def metadata_xml(peer: Peer) -> str:
    types = "".join(
        f'<EntityType Name="{name}"><Key><PropertyRef Name="Ref_Key"/></Key>'
        '<Property Name="Ref_Key" Type="Edm.Guid" Nullable="false"/>'
        + "".join(f'<Property Name="{f}" Type="Edm.String"/>' for f in fields)
        + "</EntityType>"
        for name, fields in peer.fields.items()
    )
    sets = "".join(f'<EntitySet Name="{name}" EntityType="StandardODATA.{name}"/>' for name in peer.fields)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<edmx:Edmx xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" Version="1.0">'
        '<edmx:DataServices xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" '
        'm:DataServiceVersion="3.0"><Schema xmlns="http://schemas.microsoft.com/ado/2009/11/edm" '
        f'Namespace="StandardODATA">{types}<EntityContainer Name="InfoBase" '
        f'm:IsDefaultEntityContainer="true">{sets}</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>'
    )


_EQ = re.compile(r"^(\w+) eq '((?:[^']|'')*)'$")
_SUBSTRINGOF = re.compile(r"^substringof\('((?:[^']|'')*)', *(\w+)\)$")


def matches(entity: dict, condition: str) -> bool:
    for part in re.split(r" and ", condition):
        part = part.strip()
        if m := _EQ.match(part):
            if str(entity.get(m.group(1), "")) != m.group(2).replace("''", "'"):
                return False
        elif m := _SUBSTRINGOF.match(part):
            if m.group(1).replace("''", "'") not in str(entity.get(m.group(2), "")):
                return False
        else:
            raise ValueError(part)
    return True


class DroppedAnswer:
    """An answer that starts and then loses its connection."""

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 201, "headers": [(b"content-length", b"4096")]})
        await send({"type": "http.response.body", "body": b'{"odata.metadata"', "more_body": True})
        raise ConnectionResetError("connection dropped after the write was committed")


def make_app(peer: Peer) -> Starlette:
    def odata_error(status: int, message: str) -> JSONResponse:
        body = {"odata.error": {"code": "-1", "message": {"lang": "ru", "value": message}}}
        return JSONResponse(body, status_code=status)

    async def guard(request: Request) -> Response | None:
        peer.requests.append((request.method, request.url.path))
        expected = "Basic " + base64.b64encode(f"{peer.user}:{peer.password}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return Response(status_code=401, headers={"WWW-Authenticate": 'Basic realm="1C"'})
        if slow := peer.fault("slow_s"):
            await asyncio.sleep(slow)
        if status := peer.faults.get("status"):
            return odata_error(status, "injected fault")
        return None

    async def metadata(request: Request) -> Response:
        if (refused := await guard(request)) is not None:
            return refused
        return Response(metadata_xml(peer), media_type="application/xml")

    async def entity_set(request: Request) -> Response:
        if (refused := await guard(request)) is not None:
            return refused
        name = request.path_params["name"]
        if name not in peer.fields:
            return odata_error(404, f"no entity set {name}")
        rows = peer.sets.setdefault(name, [])
        if request.method == "POST":
            body = await request.json()
            entity = {"Ref_Key": str(uuid.uuid4()), **body}
            rows.append(entity)
            if peer.fault("drop_after_commit"):
                return DroppedAnswer()  # the write stays, the connection breaks mid-answer
            if peer.fault("fail_after_commit"):
                raise ConnectionResetError("failed after commit")  # the write stays, the answer is a 500
            if slow := peer.fault("slow_after_commit"):
                await asyncio.sleep(slow)  # the write stays, the answer comes after the client gave up
            return JSONResponse({"odata.metadata": f"{peer.url}/$metadata#{name}/@Element", **entity}, 201)
        params = request.query_params
        try:
            found = [r for r in rows if matches(r, params["$filter"])] if "$filter" in params else rows
        except ValueError as exc:
            return odata_error(400, f"unsupported filter {exc}")
        skip = int(params.get("$skip", 0))
        top = int(params.get("$top", len(found)))
        page = found[skip : skip + top]
        if select := params.get("$select"):
            keep = set(select.split(",")) | {"Ref_Key"}
            page = [{k: v for k, v in r.items() if k in keep} for r in page]
        if peer.fault("malformed"):
            return Response('{"odata.metadata": "x", "value": [ {"broken', media_type="application/json")
        return JSONResponse({"odata.metadata": f"{peer.url}/$metadata#{name}", "value": page})

    return Starlette(
        routes=[
            Route(f"{ROOT}/$metadata", metadata),
            Route(ROOT + "/{name:str}", entity_set, methods=["GET", "POST"]),
        ]
    )


class RunningPeer:
    """The peer served by uvicorn in a thread on a free loopback port."""

    def __init__(self, peer: Peer):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        peer.url = f"http://127.0.0.1:{port}{ROOT}"
        self.peer = peer
        self.server = uvicorn.Server(uvicorn.Config(make_app(peer), host="127.0.0.1", port=port, log_level="error"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Peer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        return self.peer

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
