"""Recognition off the event loop: a thread pool with a bounded queue in front.

onnxruntime releases the GIL, so threads run the models in parallel; the
models are loaded once and shared. When more photos wait than the queue
allows, ``submit`` refuses at once instead of piling up memory.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from inference.catalog import CatalogIndex
from inference.embedder import Embedder, RecentEmbeddings
from inference.fusion import fuse
from inference.memory import Neighbour, VisualMemory
from inference.models import Models
from inference.ocr import OcrEngine
from inference.photo import Photo, load_photo, thumbnail_jpeg
from inference.pipeline import Recognition, Recognizer
from inference.records import ReadingRecord


class PoolBusy(RuntimeError):
    """Too many photos are waiting; the client should retry later."""


class RecognitionPool:
    """The OCR, the catalog and the visual memory (with its embedder, when on), behind one queue."""

    def __init__(
        self,
        engine: OcrEngine,
        index: CatalogIndex,
        workers: int,
        queue_limit: int,
        memory: VisualMemory | None = None,
        embedder: Embedder | None = None,
        models: Models | None = None,
    ):
        embedder = RecentEmbeddings(embedder) if embedder is not None else None
        self.recognizer = Recognizer(engine, index, memory=memory, embedder=embedder, models=models)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="recognize")
        self._slots = threading.BoundedSemaphore(workers + queue_limit)
        self.in_flight = 0  # photos being read or waiting for a thread

    @property
    def catalog(self) -> CatalogIndex:
        """The catalog recognition reads against now."""
        return self.recognizer.index

    def replace_catalog(self, index: CatalogIndex) -> None:
        """Use a new catalog for photos from now on (readings in flight keep the old one)."""
        old = self.recognizer
        self.recognizer = Recognizer(old.engine, index, old.plan, old.memory, old.embedder, old.models)

    def replace_memory(self, memory: VisualMemory) -> None:
        """Search a freshly loaded memory from now on (another replica changed the entries)."""
        old = self.recognizer
        self.recognizer = Recognizer(old.engine, old.index, old.plan, memory, old.embedder, old.models)

    def fuse(self, readings: list[ReadingRecord]) -> ReadingRecord:
        """One reading from the readings of several photos of one part (``inference.fusion``)."""
        return fuse(readings, self.recognizer.confidence.sure_from)

    @property
    def memory(self) -> VisualMemory | None:
        return self.recognizer.memory

    @property
    def embedder(self) -> Embedder | None:
        return self.recognizer.embedder

    async def decode(self, photo: bytes) -> Photo:
        """The photo decoded in a place in the queue: N uploads at once decode at most ``workers`` at a time,
        each within ``inference.photo``'s limits (PhotoError for what is not a photo, or too big a one)."""
        return await self._run(load_photo, photo)

    async def recognize(self, photo: bytes | Photo) -> Recognition:
        return await self._run(self.recognizer.recognize, photo)

    async def embed(self, photo: bytes) -> tuple[np.ndarray, bytes]:
        """The photo's embedding and a thumbnail to show it by (PhotoError for what is not a photo).

        For a confirmed photo: it waits for a free place in the queue rather than being refused.
        """
        embedder = self.embedder
        if embedder is None:
            raise RuntimeError("the visual memory is off")

        def work() -> tuple[np.ndarray, bytes]:
            loaded = load_photo(photo)
            return embedder.embed(loaded.image), thumbnail_jpeg(loaded)

        return await self._run(work, wait=True)

    async def looks_like(self, photo: bytes, k: int = 4) -> list[Neighbour]:
        """The confirmed photos nearest this one."""
        memory, embedder = self.memory, self.embedder
        if memory is None or embedder is None or not len(memory):
            return []
        vector = await self._run(lambda: embedder.embed(load_photo(photo).image))
        return memory.search(vector, k=k)

    async def _run(self, work, *args, wait: bool = False):
        if not self._slots.acquire(blocking=False):
            if not wait:
                raise PoolBusy("recognition queue is full")
            await asyncio.to_thread(self._slots.acquire)
        self.in_flight += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, work, *args)
        finally:
            self.in_flight -= 1
            self._slots.release()

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
