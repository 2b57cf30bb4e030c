"""An async client for 1C's standard OData interface (OData v3, JSON, HTTP Basic)."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx

from web.onec.config import OnecConfig

log = logging.getLogger(__name__)


class OnecError(RuntimeError):
    """1C could not be used; the message says why, for a person (never with secrets)."""


class OnecAuthError(OnecError):
    """1C refused the user name or password: retrying will not help."""


class OnecClient:
    def __init__(self, config: OnecConfig, transport: httpx.AsyncBaseTransport | None = None):
        self.config = config
        self._http = httpx.AsyncClient(
            auth=httpx.BasicAuth(config.user, config.password),
            timeout=httpx.Timeout(config.timeout_s),
            headers={"Accept": "application/json"},
            transport=transport,
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> OnecClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    def _url(self, path: str) -> str:
        return f"{self.config.root}/{quote(path, safe='/$()=,')}"

    async def _request(self, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            response = await self._http.request(method, self._url(path), **kwargs)
        except httpx.TimeoutException as exc:
            raise OnecError(f"1C did not answer within {self.config.timeout_s:g} s") from exc
        except httpx.HTTPError as exc:
            raise OnecError(f"cannot reach 1C at {self.config.root}: {type(exc).__name__}") from exc
        if response.status_code in (401, 403):
            raise OnecAuthError(f"1C refused user {self.config.user!r} (HTTP {response.status_code}): check the login")
        if response.status_code >= 400:
            raise OnecError(f"1C answered HTTP {response.status_code} to {method} {path.split('?')[0]}")
        return response

    async def metadata(self) -> dict[str, set[str]]:
        """Entity set name -> its property names, from ``$metadata``."""
        response = await self._request("GET", "$metadata")
        try:
            root = ET.fromstring(response.content)
        except ET.ParseError as exc:
            raise OnecError("1C's $metadata is not valid XML") from exc
        types: dict[str, set[str]] = {}
        sets: dict[str, str] = {}
        for element in root.iter():
            tag = element.tag.rsplit("}", 1)[-1]
            if tag == "EntityType":
                types[element.get("Name", "")] = {
                    p.get("Name", "") for p in element if p.tag.rsplit("}", 1)[-1] == "Property"
                }
            elif tag == "EntitySet":
                sets[element.get("Name", "")] = element.get("EntityType", "").rsplit(".", 1)[-1]
        return {name: types.get(entity_type, set()) for name, entity_type in sets.items()}

    async def check(self) -> list[str]:
        """Connect, authenticate, read $metadata and verify the mapping; the problems found."""
        available = await self.metadata()
        problems = []
        wanted = (
            (self.config.orders_set, self.config.order_fields),
            (self.config.identifications_set, self.config.identification_fields),
        )
        for entity_set, fields in wanted:
            if entity_set not in available:
                problems.append(f"1C has no entity set {entity_set}")
                continue
            missing = sorted(set(fields.values()) - available[entity_set])
            if missing:
                problems.append(f"{entity_set} lacks the field(s) {', '.join(missing)}")
        return problems

    async def rows(self, entity_set: str, select: list[str], filter_: str = "") -> AsyncIterator[dict]:
        """Every entity of a set, page by page ($top/$skip)."""
        skip = 0
        size = self.config.page_size
        while True:
            params = {"$format": "json", "$top": str(size), "$skip": str(skip), "$select": ",".join(select)}
            if filter_:
                params["$filter"] = filter_
            response = await self._request("GET", entity_set, params=params)
            try:
                page = response.json()["value"]
            except (ValueError, KeyError, TypeError) as exc:
                raise OnecError(f"1C sent malformed JSON for {entity_set} (at row {skip})") from exc
            if not isinstance(page, list):
                raise OnecError(f"1C sent malformed JSON for {entity_set} (at row {skip})")
            for entity in page:
                yield entity
            if len(page) < size:
                return
            skip += len(page)

    async def find(self, entity_set: str, field: str, value: str) -> list[dict]:
        """Entities whose ``field`` equals ``value``."""
        escaped = value.replace("'", "''")
        params = {"$format": "json", "$filter": f"{field} eq '{escaped}'"}
        response = await self._request("GET", entity_set, params=params)
        try:
            return list(response.json()["value"])
        except (ValueError, KeyError, TypeError) as exc:
            raise OnecError(f"1C sent malformed JSON for {entity_set}") from exc

    async def create(self, entity_set: str, body: dict) -> dict:
        response = await self._request("POST", entity_set, params={"$format": "json"}, json=body)
        try:
            return response.json()
        except ValueError:
            return {}
