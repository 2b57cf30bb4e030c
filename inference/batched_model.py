"""One model shared by many threads: their inputs gathered into one forward pass per step.

A caller hands over a *unit* (an array whose first axis counts rows: one photo
for the detector, one line crop for the recognizer, one picture for the
embedder) and blocks until its own rows come back. A worker thread takes the
units waiting (and, when the last step was shared, waits ``max_wait_s`` for
more), stacks those of the first unit's shape and type, runs the model once and
hands each unit its rows. Units are never padded to fit each other, so what a
unit gets does not depend on who shared its step; and when a shared step fails,
each of its units is run alone: one bad photo gets its own error and spoils
nobody else's result.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future

import numpy as np
import torch


class BatchedModel:
    """Call it like an onnxruntime session: ``model(array) -> array``, from any number of threads."""

    def __init__(
        self,
        module: torch.nn.Module,
        device: str = "cpu",
        half: bool = False,
        max_batch: int = 64,
        max_wait_s: float = 0.002,
        name: str = "model",
    ):
        self.module = module.to(device).eval()
        self.device = torch.device(device)
        self.half = half and self.device.type == "cuda"
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.steps = 0  # forward passes run
        self.units = 0  # units answered
        self._waiting: list[tuple[np.ndarray, Future]] = []
        self._ready = threading.Condition()
        self._worker = threading.Thread(target=self._serve, name=f"batch-{name}", daemon=True)
        self._worker.start()

    def __call__(self, unit: np.ndarray) -> np.ndarray:
        return self.submit(unit).result()

    def submit(self, unit: np.ndarray) -> Future:
        """Queue one unit; the future holds its output rows (or the error it alone caused)."""
        future: Future = Future()
        unit = np.ascontiguousarray(unit)
        if unit.ndim < 2 or 0 in unit.shape:
            future.set_exception(ValueError(f"a unit is rows x input with no empty side, not {unit.shape}"))
            return future
        with self._ready:
            self._waiting.append((unit, future))
            self._ready.notify()
        return future

    def _serve(self) -> None:
        shared_last = False
        while True:
            with self._ready:
                while not self._waiting:
                    self._ready.wait()
                if shared_last and self.max_wait_s > 0:
                    deadline = time.monotonic() + self.max_wait_s
                    while len(self._waiting) < self.max_batch and (left := deadline - time.monotonic()) > 0:
                        self._ready.wait(left)
                taken = self._take()
            shared_last = len(taken) > 1
            self._run(taken)

    def _take(self) -> list[tuple[np.ndarray, Future]]:
        """The first waiting unit and those of its shape and type, up to ``max_batch`` rows."""
        first = self._waiting[0][0]
        taken: list[tuple[np.ndarray, Future]] = []
        kept: list[tuple[np.ndarray, Future]] = []
        rows = 0
        for unit, future in self._waiting:
            alike = unit.shape[1:] == first.shape[1:] and unit.dtype == first.dtype
            if alike and (not taken or rows + unit.shape[0] <= self.max_batch):
                taken.append((unit, future))
                rows += unit.shape[0]
            else:
                kept.append((unit, future))
        self._waiting = kept
        return taken

    def _run(self, taken: list[tuple[np.ndarray, Future]]) -> None:
        try:
            outputs = self._forward([unit for unit, _ in taken])
        except Exception as shared_error:
            if len(taken) == 1:
                taken[0][1].set_exception(shared_error)
                return
            for unit, future in taken:  # find the unit that broke the step; the others still get answers
                try:
                    future.set_result(self._forward([unit])[0])
                except Exception as error:
                    future.set_exception(error)
            return
        for (_, future), output in zip(taken, outputs, strict=True):
            future.set_result(output)

    def _forward(self, units: list[np.ndarray]) -> list[np.ndarray]:
        batch = units[0] if len(units) == 1 else np.concatenate(units)
        with torch.inference_mode(), torch.autocast("cuda", dtype=torch.float16, enabled=self.half):
            output = self.module(torch.from_numpy(batch).to(self.device))
            output = output.float().cpu().numpy()
        self.steps += 1
        self.units += len(units)
        bounds = np.cumsum([unit.shape[0] for unit in units])[:-1]
        return np.split(output, bounds)
