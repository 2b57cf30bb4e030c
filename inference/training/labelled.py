"""Labelled photos: what was stamped on each, from a folder or from the app's confirmed scans."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from inference.scoring import YoloBox, family_of, parse_yolo


@dataclass(frozen=True, slots=True)
class LabelledPhoto:
    name: str
    source: Path | bytes  # the photo's file, or its bytes
    truth: str  # the marking: article, a space, the serial if one is stamped
    boxes: tuple[YoloBox, ...] = ()  # round the marking, if known

    @property
    def article(self) -> str:
        return self.truth.partition(" ")[0]

    @property
    def serial(self) -> str:
        return self.truth.partition(" ")[2].strip()

    @property
    def family(self) -> str:
        return family_of(self.truth)


def labelled_folder(directory: str | Path) -> list[LabelledPhoto]:
    """The photos of a folder laid out as the dev set is: ``images/`` and ``labels.csv``
    (``image_file``, ``label_text``, and ``label``: YOLO boxes round the marking)."""
    directory = Path(directory)
    with open(directory / "labels.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [
        LabelledPhoto(
            row["image_file"],
            directory / "images" / row["image_file"],
            row["label_text"].strip(),
            tuple(parse_yolo(row.get("label", ""))),
        )
        for row in rows
        if row.get("label_text", "").strip()
    ]
