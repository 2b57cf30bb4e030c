"""A reading as it leaves recognition: the one shape the pipeline, fusion, storage, pages and API share.

``Recognition.to_record()`` makes it, ``fuse`` joins several, ``web.storage.scans``
keeps it as JSON beside the columns it indexes, the card and the API show it.
Typed dicts, so that what is stored stays plain JSON and the type checker
holds every reader of it to the same keys.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict


class RowRecord(TypedDict):
    """A row of the orders table."""

    article: str
    serial: str
    part_name: str
    order_number: str
    station_unit: str


class CandidateRecord(TypedDict):
    """One way to read the marking, with the rows it points to."""

    marking: str
    article: str
    serial: str
    confidence: float
    probability: float
    corroborated: bool
    read_once: bool
    sure: bool
    status: str  # matched / article only / not in catalog
    serial_listed: bool
    memory_share: float
    rows: list[RowRecord]


class ChoiceRecord(TypedDict):
    """A marking offered to tap when the reading is not sure."""

    marking: str
    article: str
    serial: str
    reason: str


class LineRecord(TypedDict):
    text: str
    score: float
    variant: str  # the view of the photo it was read in


class NeighbourRecord(TypedDict):
    entry_id: int
    article: str
    serial: str
    similarity: float


class MemoryRecord(TypedDict):
    changed: bool  # the visual memory changed the best reading
    neighbours: list[NeighbourRecord]


class ReadingRecord(TypedDict):
    """What was read from one photo (or fused from several photos of one part)."""

    marking: str
    article: str
    serial: str
    confidence: float
    probability: float  # the chance the marking is exactly right
    sure: bool  # shown as "уверенно"
    status: str  # matched / article only / not in catalog / unreadable
    boxes: list[list[int]]  # x0, y0, x1, y1 in the photo's pixels
    yolo_boxes: list[list[float]]
    candidates: list[CandidateRecord]
    choices: list[ChoiceRecord]
    lines: list[LineRecord]
    variants_tried: list[str]
    memory: MemoryRecord
    timings_s: dict[str, float]
    photo_key: NotRequired[str]  # where the photo is stored (web)
    annotated_key: NotRequired[str]
    photos: NotRequired[list[ReadingRecord]]  # fused: the readings of each photo
