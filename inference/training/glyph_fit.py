"""The glyph reader's head, trained on the recognizer's frozen features of glyph windows (torch, CPU).

A small network (960 -> 128 -> 12): the recognizer's 8 columns of 120 features,
standardized, one hidden layer, the ten digits, "text" and "blank". Trained with fixed
seeds; written as an ONNX graph of plain matrix products (``inference.glyphs``
runs it with onnxruntime, no torch needed to read photos).
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from inference.glyphs import CLASSES
from inference.training import TrainingError

HIDDEN = 128
EPOCHS = 12
BATCH = 256


def fit_head(features: np.ndarray, labels: np.ndarray, seed: int = 0) -> bytes:
    """The head trained on ``features`` (N x columns x channels) and ``labels`` (a digit, TEXT or BLANK),
    as an ONNX model's bytes."""
    try:
        import torch
    except ImportError as exc:
        raise TrainingError("training the glyph reader needs torch: pip install -e '.[train]'") from exc
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    x = torch.from_numpy(features.reshape(len(features), -1).astype(np.float32))
    y = torch.from_numpy(labels.astype(np.int64))
    mean = x.mean(dim=0)
    scale = x.std(dim=0) + 1e-3
    x = (x - mean) / scale
    network = torch.nn.Sequential(
        torch.nn.Linear(x.shape[1], HIDDEN), torch.nn.ReLU(), torch.nn.Dropout(0.3), torch.nn.Linear(HIDDEN, CLASSES)
    )
    optimizer = torch.optim.AdamW(network.parameters(), lr=1e-3, weight_decay=1e-2)
    network.train()
    for _ in range(EPOCHS):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), BATCH):
            batch = order[start : start + BATCH]
            loss = torch.nn.functional.cross_entropy(network(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    first, second = network[0], network[3]
    assert isinstance(first, torch.nn.Linear) and isinstance(second, torch.nn.Linear)
    return head_onnx(
        features.shape[1:],
        mean.numpy(),
        scale.numpy(),
        first.weight.detach().numpy().T,
        first.bias.detach().numpy(),
        second.weight.detach().numpy().T,
        second.bias.detach().numpy(),
    )


def head_onnx(
    shape: tuple[int, ...],
    mean: np.ndarray,
    scale: np.ndarray,
    w1: np.ndarray,
    b1: np.ndarray,
    w2: np.ndarray,
    b2: np.ndarray,
) -> bytes:
    """The head as an ONNX graph: features (N x columns x channels) -> class probabilities (N x CLASSES)."""
    size = int(np.prod(shape))
    weights: dict[str, np.ndarray] = {
        "flat": np.array([-1, size], dtype=np.int64),
        "mean": mean.astype(np.float32),
        "scale": scale.astype(np.float32),
        "w1": w1.astype(np.float32),
        "b1": b1.astype(np.float32),
        "w2": w2.astype(np.float32),
        "b2": b2.astype(np.float32),
    }
    nodes = [
        helper.make_node("Reshape", ["features", "flat"], ["x"]),
        helper.make_node("Sub", ["x", "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "scale"], ["standard"]),
        helper.make_node("MatMul", ["standard", "w1"], ["h0"]),
        helper.make_node("Add", ["h0", "b1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["h"]),
        helper.make_node("MatMul", ["h", "w2"], ["z0"]),
        helper.make_node("Add", ["z0", "b2"], ["z"]),
        helper.make_node("Softmax", ["z"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "glyph_head",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["n", *shape])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["n", CLASSES])],
        [numpy_helper.from_array(v, k) for k, v in weights.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="markscan train")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()
