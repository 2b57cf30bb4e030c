"""The CPU engine's runtimes: OpenVINO for detection gives what onnxruntime gives, from any thread."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnxruntime

from inference.photo import load_photo
from web.demo import render_marking


def test_openvino_gives_the_text_map_onnxruntime_gives(ocr_engine):
    detector = ocr_engine._det  # rapidocr's detection stage, its session replaced by OpenVINO's
    image = load_photo(render_marking("1391-30-1583 1574", seed=1).jpeg).image
    inputs = detector.get_preprocess()(image)
    reference = onnxruntime.InferenceSession(detector.session.path, providers=["CPUExecutionProvider"])
    expected = reference.run(None, {reference.get_inputs()[0].name: inputs})[0]
    got = detector.session(inputs)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-4
    assert expected.max() > 0.9  # the photo has text: the map is not trivially empty


def test_threads_detecting_at_once_each_get_their_own_boxes(ocr_engine):
    images = [load_photo(render_marking(f"195-30-128{i} 26{i}0", seed=i).jpeg).image for i in range(4)]
    alone = [ocr_engine.detect(image) for image in images]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(ocr_engine.detect, images * 3))
    for i, boxes in enumerate(together):
        expected = alone[i % 4]
        assert len(boxes) == len(expected) > 0
        assert all(np.array_equal(a, b) for a, b in zip(boxes, expected, strict=True))
