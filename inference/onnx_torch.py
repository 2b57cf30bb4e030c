"""ONNX graphs run by torch: the operators PP-OCR and DINOv2 use, interpreted node by node.

``OnnxModule(model)`` is a ``torch.nn.Module`` whose forward walks the ONNX
graph in order and runs each node as the torch call that means the same.
Float weights become buffers (they move with ``.to(device)``); integer
tensors (shapes, indices, axes) stay on the CPU, so shape arithmetic never
waits for the GPU. An operator not listed in ``OPERATORS`` is refused when
the model loads, not halfway through a photo.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import cast

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper

Tensor = torch.Tensor

ONNX_DTYPES = {
    1: torch.float32,
    6: torch.int32,
    7: torch.int64,
    9: torch.bool,
    10: torch.float16,
    11: torch.float64,
}


Operator = Callable[["OnnxModule", list, dict], "Tensor | tuple[Tensor, ...]"]


class OnnxModule(torch.nn.Module):
    """One ONNX graph (or the part of it that ``outputs`` needs) as a torch module."""

    def __init__(self, model: onnx.ModelProto, outputs: Iterable[str] | None = None):
        super().__init__()
        graph = model.graph
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 11)
        self.output_names = list(outputs) if outputs is not None else [o.name for o in graph.output]
        self._fixed: dict[str, Tensor] = {}  # integer constants, on the CPU
        self._buffer_of: dict[str, str] = {}  # float constant -> buffer attribute
        for initializer in graph.initializer:
            self._keep(initializer.name, numpy_helper.to_array(initializer))
        alias: dict[str, str] = {}  # Identity outputs are their inputs
        self.nodes: list[tuple[Operator, list[str], list[str], dict]] = []
        for node in _needed_nodes(graph, self.output_names):
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            if node.op_type == "Constant":
                self._keep(node.output[0], numpy_helper.to_array(attrs["value"]))
                continue
            if node.op_type == "Identity" and node.output[0] not in self.output_names:
                alias[node.output[0]] = alias.get(node.input[0], node.input[0])
                continue
            if node.op_type not in OPERATORS:
                raise NotImplementedError(f"ONNX operator {node.op_type} has no torch form here")
            inputs = [alias.get(name, name) for name in node.input]
            self.nodes.append((OPERATORS[node.op_type], inputs, list(node.output), attrs))
        known = set(self._fixed) | set(self._buffer_of)
        self.input_names = [i.name for i in graph.input if i.name not in known]
        # Each value is dropped after the last node that reads it: a photo's activations do not pile up.
        last_use: dict[str, int] = {}
        for step, (_, inputs, _, _) in enumerate(self.nodes):
            for name in inputs:
                last_use[name] = step
        self._drop_after: list[list[str]] = [[] for _ in self.nodes]
        for name, step in last_use.items():
            if name not in known and name not in self.output_names:
                self._drop_after[step].append(name)

    def _keep(self, name: str, array: np.ndarray) -> None:
        tensor = torch.from_numpy(np.array(array))
        if tensor.is_floating_point():
            attribute = f"c{len(self._buffer_of)}"
            self.register_buffer(attribute, tensor, persistent=False)
            self._buffer_of[name] = attribute
        else:
            self._fixed[name] = tensor

    def forward(self, *inputs: Tensor) -> Tensor | tuple[Tensor, ...]:
        values: dict[str, Tensor | None] = {"": None, **self._fixed}
        values.update({name: getattr(self, attribute) for name, attribute in self._buffer_of.items()})
        values.update(zip(self.input_names, inputs, strict=True))
        for (run, names_in, names_out, attrs), dead in zip(self.nodes, self._drop_after, strict=True):
            result = run(self, [values[n] for n in names_in], attrs)
            if isinstance(result, tuple):
                values.update(zip(names_out, result, strict=False))
            else:
                values[names_out[0]] = result
            for name in dead:
                values.pop(name, None)
        outputs = tuple(cast(Tensor, values[name]) for name in self.output_names)
        return outputs[0] if len(outputs) == 1 else outputs


def load(path: str, outputs: Iterable[str] | None = None) -> OnnxModule:
    """The ONNX file at ``path`` as a torch module in eval mode."""
    return OnnxModule(onnx.load(path), outputs).eval()


def _needed_nodes(graph: onnx.GraphProto, outputs: list[str]) -> list[onnx.NodeProto]:
    """The nodes ``outputs`` depend on, in the graph's (topological) order."""
    producer = {name: node for node in graph.node for name in node.output}
    needed: set[int] = set()
    stack = list(outputs)
    while stack:
        node = producer.get(stack.pop())
        if node is None or id(node) in needed:
            continue
        needed.add(id(node))
        stack.extend(node.input)
    return [node for node in graph.node if id(node) in needed]


# --- operators -------------------------------------------------------------------------------


def _ints(tensor: Tensor | None) -> list[int]:
    return [] if tensor is None else [int(v) for v in tensor.reshape(-1).tolist()]


def _together(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Both on one device: a CPU constant follows the tensor on the GPU."""
    if a.device == b.device:
        return a, b
    return (a.to(b.device), b) if a.device.type == "cpu" else (a, b.to(a.device))


def _binary(function: Callable[[Tensor, Tensor], Tensor]) -> Operator:
    def run(_m, x, _a):
        return function(*_together(x[0], x[1]))

    return run


def _divide(a: Tensor, b: Tensor) -> Tensor:
    if a.is_floating_point() or b.is_floating_point():
        return a / b
    return torch.div(a, b, rounding_mode="trunc")


def _spatial_pads(attrs: dict, x: Tensor, kernel: list[int], strides: list[int], dilations: list[int]) -> list[int]:
    """ONNX pads as [top, left, bottom, right], SAME_UPPER/SAME_LOWER worked out."""
    auto_pad = attrs.get("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        begin, end = [], []
        for size, k, s, d in zip(x.shape[2:], kernel, strides, dilations, strict=True):
            total = max((math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0)
            small, large = total // 2, total - total // 2
            begin.append(small if auto_pad == "SAME_UPPER" else large)
            end.append(large if auto_pad == "SAME_UPPER" else small)
        return begin + end
    if auto_pad == "VALID":
        return [0] * (2 * len(kernel))
    return list(attrs.get("pads", [0] * (2 * len(kernel))))


def _pad_input(x: Tensor, pads: list[int], value: float = 0.0) -> tuple[Tensor, tuple[int, int]]:
    """Symmetric pads as a padding argument; uneven ones applied here."""
    top, left, bottom, right = pads
    if top == bottom and left == right:
        return x, (top, left)
    return F.pad(x, (left, right, top, bottom), value=value), (0, 0)


def _conv(_m, x, a):
    weight = x[1]
    kernel = list(weight.shape[2:])
    strides, dilations = a.get("strides", [1, 1]), a.get("dilations", [1, 1])
    data, padding = _pad_input(x[0], _spatial_pads(a, x[0], kernel, strides, dilations))
    bias = x[2] if len(x) > 2 else None
    return F.conv2d(data, weight, bias, strides, padding, dilations, a.get("group", 1))


def _conv_transpose(_m, x, a):
    top, left, bottom, right = a.get("pads", [0, 0, 0, 0])
    if (top, left) != (bottom, right):
        raise NotImplementedError("ConvTranspose with uneven pads")
    bias = x[2] if len(x) > 2 else None
    return F.conv_transpose2d(
        x[0],
        x[1],
        bias,
        a.get("strides", [1, 1]),
        (top, left),
        a.get("output_padding", [0, 0]),
        a.get("group", 1),
        a.get("dilations", [1, 1]),
    )


def _max_pool(_m, x, a):
    kernel, strides = a["kernel_shape"], a.get("strides", [1, 1])
    dilations = a.get("dilations", [1, 1])
    data, padding = _pad_input(x[0], _spatial_pads(a, x[0], kernel, strides, dilations), value=-math.inf)
    return F.max_pool2d(data, kernel, strides, padding, dilations, ceil_mode=bool(a.get("ceil_mode", 0)))


def _average_pool(_m, x, a):
    kernel, strides = a["kernel_shape"], a.get("strides", [1, 1])
    data, padding = _pad_input(x[0], _spatial_pads(a, x[0], kernel, strides, [1, 1]))
    if padding == (0, 0) and data is not x[0] and not a.get("count_include_pad", 0):
        raise NotImplementedError("AveragePool with uneven pads that do not count")
    return F.avg_pool2d(
        data,
        kernel,
        strides,
        padding,
        ceil_mode=bool(a.get("ceil_mode", 0)),
        count_include_pad=bool(a.get("count_include_pad", 0)),
    )


def _batch_norm(_m, x, a):
    data, scale, bias, mean, var = x[:5]
    return F.batch_norm(data, mean, var, scale, bias, False, 0.0, a.get("epsilon", 1e-5))


def _reduce_mean(m, x, a):
    axes = a.get("axes") if "axes" in a else (_ints(x[1]) if len(x) > 1 else None)
    keep = bool(a.get("keepdims", 1))
    if not axes:
        return x[0].mean() if not keep else x[0].mean(dim=tuple(range(x[0].dim())), keepdim=True)
    return x[0].mean(dim=tuple(axes), keepdim=keep)


def _softmax(m, x, a):
    data = x[0]
    axis = a.get("axis", 1 if m.opset < 13 else -1)
    axis = axis % data.dim()
    if m.opset >= 13 or axis == data.dim() - 1:
        return torch.softmax(data, dim=axis)
    flat = data.reshape(math.prod(data.shape[:axis]), -1)  # before opset 13: softmax over all axes from ``axis``
    return torch.softmax(flat, dim=1).reshape(data.shape)


def _clip(_m, x, a):
    low = x[1] if len(x) > 1 and x[1] is not None else a.get("min")
    high = x[2] if len(x) > 2 and x[2] is not None else a.get("max")
    low = float(low) if isinstance(low, Tensor) else low
    high = float(high) if isinstance(high, Tensor) else high
    return torch.clamp(x[0], low, high)


def _reshape(_m, x, a):
    data, shape = x[0], _ints(x[1])
    if not a.get("allowzero", 0):
        shape = [data.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return data.reshape(shape)


def _axes(x: list, a: dict) -> list[int]:
    return list(a["axes"]) if "axes" in a else _ints(x[1]) if len(x) > 1 else []


def _squeeze(_m, x, a):
    data, axes = x[0], _axes(x, a)
    if not axes:
        return data.squeeze()
    for axis in sorted((axis % data.dim() for axis in axes), reverse=True):
        data = data.squeeze(axis)
    return data


def _unsqueeze(_m, x, a):
    data, axes = x[0], _axes(x, a)
    rank = data.dim() + len(axes)
    for axis in sorted(axis % rank for axis in axes):
        data = data.unsqueeze(axis)
    return data


def _gather(_m, x, a):
    data = x[0]
    indices = x[1].to(data.device)
    axis = a.get("axis", 0) % data.dim()
    indices = torch.where(indices < 0, indices + data.shape[axis], indices)
    picked = data.index_select(axis, indices.reshape(-1))
    return picked.reshape((*data.shape[:axis], *indices.shape, *data.shape[axis + 1 :]))


def _slice(_m, x, a):
    data = x[0]
    starts, ends = _ints(x[1]), _ints(x[2])
    axes = _ints(x[3]) if len(x) > 3 and x[3] is not None else list(range(len(starts)))
    steps = _ints(x[4]) if len(x) > 4 and x[4] is not None else [1] * len(starts)
    if any(step < 1 for step in steps):
        raise NotImplementedError("Slice with a negative step")
    index = [slice(None)] * data.dim()
    for start, end, axis, step in zip(starts, ends, axes, steps, strict=True):
        index[axis % data.dim()] = slice(start, end, step)
    return data[tuple(index)]


def _constant_of_shape(_m, x, a):
    value = torch.from_numpy(np.array(numpy_helper.to_array(a["value"]))) if "value" in a else torch.zeros(1)
    return torch.full(_ints(x[0]), value.reshape(-1)[0].item(), dtype=value.dtype)


def _expand(_m, x, a):
    shape = torch.broadcast_shapes(tuple(x[0].shape), tuple(_ints(x[1])))
    return x[0].expand(shape)


def _where(_m, x, a):
    condition, yes, no = x
    device = next((t.device for t in (yes, no, condition) if t.device.type != "cpu"), condition.device)
    return torch.where(condition.to(device), yes.to(device), no.to(device))


def _resize(_m, x, a):
    data = x[0]
    scales = x[2] if len(x) > 2 and x[2] is not None and x[2].numel() else None
    sizes = _ints(x[3]) if len(x) > 3 and x[3] is not None and x[3].numel() else None
    mode = a.get("mode", b"nearest").decode()
    transform = a.get("coordinate_transformation_mode", b"half_pixel").decode()
    if sizes is None:
        factors = [float(s) for s in scales.reshape(-1).tolist()]
        if factors[:2] != [1.0, 1.0]:
            raise NotImplementedError("Resize over batch or channels")
        target = {"scale_factor": factors[2:]}
    else:
        target = {"size": sizes[2:]}
    if mode == "nearest":
        if transform != "asymmetric" or a.get("nearest_mode", b"round_prefer_floor").decode() != "floor":
            raise NotImplementedError(f"Resize nearest with {transform}")
        return F.interpolate(data, mode="nearest", **target)
    if transform not in ("half_pixel", "pytorch_half_pixel", "align_corners"):
        raise NotImplementedError(f"Resize {mode} with {transform}")
    if mode == "cubic" and a.get("cubic_coeff_a", -0.75) != -0.75:
        raise NotImplementedError("Resize cubic with a coefficient other than torch's -0.75")
    torch_mode = {"linear": "bilinear", "cubic": "bicubic"}[mode]
    return F.interpolate(data, mode=torch_mode, align_corners=transform == "align_corners", **target)


def _cast(_m, x, a):
    return x[0].to(ONNX_DTYPES[a["to"]])


def _concat(_m, x, a):
    parts = [t for t in x if t is not None]
    device = next((t.device for t in parts if t.device.type != "cpu"), parts[0].device)
    return torch.cat([t.to(device) for t in parts], dim=a["axis"])


def _hard_sigmoid(_m, x, a):
    return torch.clamp(x[0] * a.get("alpha", 0.2) + a.get("beta", 0.5), 0.0, 1.0)


def _transpose(_m, x, a):
    return x[0].permute(a.get("perm", list(reversed(range(x[0].dim())))))


OPERATORS: dict[str, Operator] = {
    "Identity": lambda _m, x, _a: x[0],
    "Add": _binary(torch.add),
    "Sub": _binary(torch.sub),
    "Mul": _binary(torch.mul),
    "Div": _binary(_divide),
    "Pow": _binary(torch.pow),
    "Equal": _binary(torch.eq),
    "MatMul": _binary(torch.matmul),
    "Sqrt": lambda _m, x, _a: torch.sqrt(x[0]),
    "Erf": lambda _m, x, _a: torch.erf(x[0]),
    "Relu": lambda _m, x, _a: torch.relu(x[0]),
    "Sigmoid": lambda _m, x, _a: torch.sigmoid(x[0]),
    "HardSigmoid": _hard_sigmoid,
    "Clip": _clip,
    "Softmax": _softmax,
    "Conv": _conv,
    "ConvTranspose": _conv_transpose,
    "MaxPool": _max_pool,
    "AveragePool": _average_pool,
    "GlobalAveragePool": lambda _m, x, _a: x[0].mean(dim=tuple(range(2, x[0].dim())), keepdim=True),
    "BatchNormalization": _batch_norm,
    "ReduceMean": _reduce_mean,
    "Concat": _concat,
    "Reshape": _reshape,
    "Transpose": _transpose,
    "Squeeze": _squeeze,
    "Unsqueeze": _unsqueeze,
    "Shape": lambda _m, x, _a: torch.tensor(tuple(x[0].shape), dtype=torch.int64),
    "Gather": _gather,
    "Slice": _slice,
    "Cast": _cast,
    "ConstantOfShape": _constant_of_shape,
    "Expand": _expand,
    "Where": _where,
    "Resize": _resize,
}
