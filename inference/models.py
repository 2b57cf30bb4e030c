"""The learned parts of a reader, loaded together from one folder.

``inference/weights/`` ships them: the serial model (which number is the
serial, ``inference.roles``), the glyph reader's head (a digit stamped alone,
``inference.glyphs``) and the confidence model (how sure a reading is,
``inference.confidence``). ``markscan train`` writes a folder of the same three
files; ``MARKSCAN_MODELS`` points the app at it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from inference.confidence import ConfidenceModel
from inference.glyphs import GlyphHead
from inference.roles import RoleModel

WEIGHTS = Path(__file__).with_name("weights")
SERIAL_MODEL = "serial_model.json"
GLYPH_HEAD = "glyph_head.onnx"
CONFIDENCE_MODEL = "confidence_model.json"


class ModelsError(ValueError):
    """A models folder that cannot be used; the message says which file is missing or broken."""


@dataclass(frozen=True, slots=True)
class Models:
    roles: RoleModel | None  # None: no serial is chosen (every view of a photo is read: for training)
    glyphs: GlyphHead | None  # None: no search for a serial stamped alone
    confidence: ConfidenceModel

    @classmethod
    def load(cls, directory: str | Path | None = None) -> Models:
        """The three models in ``directory`` (the shipped ones by default)."""
        folder = Path(directory) if directory else WEIGHTS
        paths = [folder / SERIAL_MODEL, folder / GLYPH_HEAD, folder / CONFIDENCE_MODEL]
        missing = [p.name for p in paths if not p.is_file()]
        if missing:
            raise ModelsError(f"{folder}: no {', '.join(missing)} (markscan train writes them)")
        try:
            return cls(RoleModel.load(paths[0]), GlyphHead(paths[1]), ConfidenceModel.load(paths[2]))
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise ModelsError(f"{folder}: {exc}") from exc

    def untrained(self) -> Models:
        """These models with no serial chosen and no glyph search: every view of a photo read, for training."""
        return replace(self, roles=None, glyphs=None)
