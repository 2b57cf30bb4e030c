"""Recognition off the event loop: a thread pool with a bounded queue in front.

onnxruntime releases the GIL, so threads run the models in parallel; the
models are loaded once and shared. When more photos wait than the queue
allows, ``submit`` refuses at once instead of piling up memory.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from inference.catalog import CatalogIndex
from inference.ocr import OcrEngine
from inference.pipeline import Recognition, Recognizer


class PoolBusy(RuntimeError):
    """Too many photos are waiting; the client should retry later."""


class RecognitionPool:
    def __init__(self, engine: OcrEngine, index: CatalogIndex, workers: int, queue_limit: int):
        self.recognizer = Recognizer(engine, index)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="recognize")
        self._slots = threading.BoundedSemaphore(workers + queue_limit)

    def replace_catalog(self, index: CatalogIndex) -> None:
        """Use a new catalog for photos from now on (readings in flight keep the old one)."""
        self.recognizer = Recognizer(self.recognizer.engine, index, self.recognizer.plan)

    async def recognize(self, photo: bytes) -> Recognition:
        if not self._slots.acquire(blocking=False):
            raise PoolBusy("recognition queue is full")
        recognizer = self.recognizer
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, recognizer.recognize, photo)
        finally:
            self._slots.release()

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
