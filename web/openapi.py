"""The OpenAPI document of the JSON API, served at /api/openapi.json."""

from __future__ import annotations

_ERROR = {
    "description": "a clear message",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_SCAN = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Scan"}}}}


def _multipart(fields: dict) -> dict:
    return {"required": True, "content": {"multipart/form-data": {"schema": {"type": "object", "properties": fields}}}}


OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "markscan", "version": "0.1.0", "description": "Read part markings, find their orders."},
    "paths": {
        "/api/scans": {
            "post": {
                "summary": "Recognize a photo and record the scan (idempotent per key and sender)",
                "description": "A key another person sent before answers 409 key_taken: send with a new key.",
                "requestBody": _multipart(
                    {
                        "photo": {"type": "string", "format": "binary"},
                        "idempotency_key": {"type": "string", "minLength": 8, "maxLength": 128},
                    }
                ),
                "responses": {
                    "201": {"description": "a new scan", **_SCAN},
                    "200": {"description": "the scan this key already made", **_SCAN},
                    "400": _ERROR,
                    "409": _ERROR,
                    "413": _ERROR,
                    "415": _ERROR,
                    "422": _ERROR,
                    "503": _ERROR,
                    "507": _ERROR,
                },
            },
            "get": {
                "summary": "Scans, newest first",
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 500}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {"200": {"description": "scans"}, "400": _ERROR},
            },
        },
        "/api/scans/{scan_id}": {
            "get": {
                "summary": "One scan",
                "parameters": [{"name": "scan_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "the scan", **_SCAN}, "404": _ERROR},
            }
        },
        "/api/scans/{scan_id}/confirm": {
            "post": {
                "summary": "Confirm a scan, optionally with a corrected article and serial",
                "description": "A confirmed scan may be confirmed again (a correction) by the person who "
                "confirmed it or an admin (else 403 not_yours), and only until 1C has the record "
                "(409 in_onec: correct it in 1C; 409 sending: retry in a minute). Article at most 64, "
                "serial at most 32 characters (400 too_long). A part the orders table does not list (an unknown "
                "article, or a serial the article does not list) needs not_in_catalog (else 409 not_in_catalog); "
                "an article the catalog knows is stored as the catalog writes it. A marking another scan was confirmed "
                "as needs duplicate (else 409 duplicate): the part was seen before, or photographed twice.",
                "parameters": [{"name": "scan_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "article": {"type": "string"},
                                    "serial": {"type": "string"},
                                    "not_in_catalog": {
                                        "type": "boolean",
                                        "description": "confirm a part the orders table does not list",
                                    },
                                    "duplicate": {
                                        "type": "boolean",
                                        "description": "confirm a marking another scan was confirmed as",
                                    },
                                },
                            }
                        }
                    }
                },
                "responses": {
                    "200": {"description": "the confirmed scan", **_SCAN},
                    "400": _ERROR,
                    "403": _ERROR,
                    "404": _ERROR,
                    "409": _ERROR,
                },
            }
        },
        "/api/scans/{scan_id}/unconfirm": {
            "post": {
                "summary": "Undo a confirmation (its author or an admin); the photo leaves the visual memory",
                "parameters": [{"name": "scan_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {
                    "200": {"description": "the scan, awaiting confirmation again", **_SCAN},
                    "403": _ERROR,
                    "404": _ERROR,
                    "409": _ERROR,
                },
            }
        },
        "/api/scans/{scan_id}/photos": {
            "post": {
                "summary": "Another photo of the scan's part: read and fused with the photos before (the same photo"
                " twice changes nothing)",
                "parameters": [{"name": "scan_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "requestBody": _multipart({"photo": {"type": "string", "format": "binary"}}),
                "responses": {
                    "200": {"description": "the scan, its reading fused over all its photos", **_SCAN},
                    "400": _ERROR,
                    "404": _ERROR,
                    "409": _ERROR,
                    "413": _ERROR,
                    "415": _ERROR,
                    "422": _ERROR,
                    "503": _ERROR,
                    "507": _ERROR,
                },
            }
        },
        "/api/catalog/search": {
            "get": {
                "summary": "Catalog articles like q (OCR-aware)",
                "parameters": [{"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 64}}],
                "responses": {"200": {"description": "matching articles with their order rows"}, "400": _ERROR},
            }
        },
        "/api/catalog/import": {
            "post": {
                "summary": "Import an orders .xlsx (replace or merge)",
                "requestBody": _multipart(
                    {"file": {"type": "string", "format": "binary"}, "mode": {"enum": ["replace", "merge"]}}
                ),
                "responses": {"200": {"description": "the validation report"}, "400": _ERROR, "422": _ERROR},
            }
        },
    },
    "components": {
        "schemas": {
            "Error": {
                "type": "object",
                "description": "Every error; nothing was changed. `error` is for people (Russian, or English with "
                "the lang=en cookie); `code` is stable, for programs (e.g. unauthenticated, csrf, not_yours, "
                "in_onec, sending, confirmed, bad_photo, too_large, storage_full, busy, bad_paging, no_scan, "
                "not_found, method_not_allowed; internal, with the `id` the server logged the fault under).",
                "properties": {"error": {"type": "string"}, "code": {"type": "string"}, "id": {"type": "string"}},
                "required": ["error", "code"],
            },
            "Scan": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "idempotency_key": {"type": "string"},
                    "status": {"enum": ["awaiting confirmation", "confirmed", "corrected"]},
                    "reading_status": {"enum": ["matched", "article only", "not in catalog", "unreadable"]},
                    "marking": {"type": "string"},
                    "article": {"type": "string"},
                    "serial": {"type": "string"},
                    "confidence": {"type": "number"},
                    "probability": {"type": "number", "description": "the chance the reading is exactly right"},
                    "sure": {"type": "boolean", "description": "shown as уверенно: corroborated and probable"},
                    "photos": {"type": "integer", "description": "photos of the part fused into the reading"},
                    "created_at": {"type": "string"},
                    "created_by": {"type": "string"},
                    "confirmed": {"type": ["object", "null"]},
                    "reading": {"type": "object"},
                },
            },
        }
    },
}
