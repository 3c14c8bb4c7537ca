"""FNet and a standalone FFT: kiln builds of two checkouts vs eager, paired in one process.

    # in each checkout (its own venv): compile, save the libraries, record compile times
    .venv/bin/python -m benchmarks.fnet_fft save /tmp/fnet-after
    # in one process: load both builds, time them alternately with eager
    .venv/bin/python -m benchmarks.fnet_fft compare /tmp/fnet-before /tmp/fnet-after

Workloads: ``torch.fft.fft`` of a complex64 (128, 768) tensor, and Hugging Face
``FNetModel(FNetConfig())`` (random weights, seed 0) on input_ids 1x128; one thread.
``compare`` prints each build's median ms (calls interleaved with the other build and
eager, so load hits all alike), eager's, and the max error vs eager relative to the
largest output value.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import torch


def _fft(x):
    return torch.fft.fft(x)


def _workloads():
    # transformers imports torchvision, whose C++ extension does not load on this torch:
    # the real-model tier's shim imports it without the extension first.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "test" / "e2e"))
    from models.torchvision_cpu import import_torchvision

    import_torchvision()
    from transformers import FNetConfig, FNetModel

    torch.manual_seed(0)
    fnet = FNetModel(FNetConfig()).eval()
    ids = torch.randint(0, 1000, (1, 128))
    x = torch.randn(128, 768, dtype=torch.complex64)
    return {"fft": (_fft, x), "fnet": (fnet, ids)}


def save(folder: Path) -> None:
    import kiln

    folder.mkdir(parents=True, exist_ok=True)
    times = {}
    for name, (model, x) in _workloads().items():
        start = time.perf_counter()
        compiled = kiln.compile(model, x, threads=1)
        times[name] = time.perf_counter() - start
        compiled.save(folder / f"{name}.so")
    (folder / "compile_s.json").write_text(json.dumps(times))


def _outputs(result) -> list[torch.Tensor]:
    if isinstance(result, torch.Tensor):
        return [torch.view_as_real(result) if result.is_complex() else result]
    if hasattr(result, "to_tuple"):
        result = result.to_tuple()
    return [t for r in result for t in _outputs(r)]


def compare(folders: list[Path], calls: int = 40) -> None:
    import kiln

    torch.set_num_threads(1)
    for name, (model, x) in _workloads().items():
        arg = torch.view_as_real(x).contiguous() if x.is_complex() else x
        builds = [kiln.load(folder / f"{name}.so") for folder in folders]
        with torch.no_grad():
            want = _outputs(model(x))
        runs = [*(partial(build, arg) for build in builds), partial(model, x)]
        times = [[] for _ in runs]
        with torch.no_grad():
            for _ in range(3):
                [run() for run in runs]
            for _ in range(calls):
                for run, out in zip(runs, times, strict=True):
                    start = time.perf_counter()
                    run()
                    out.append(time.perf_counter() - start)
        scale = max(w.abs().max().item() for w in want)
        for folder, build, t in zip(folders, builds, times, strict=False):
            got = _outputs(build(arg))
            err = max((g - w).abs().max().item() for g, w in zip(got, want, strict=True))
            compile_s = json.loads((folder / "compile_s.json").read_text())[name]
            print(
                f"{name} {folder}: {statistics.median(t) * 1e3:.2f} ms, "
                f"max err {err / scale:.1e} (rel), compile {compile_s:.1f} s"
            )
        print(f"{name} eager: {statistics.median(times[-1]) * 1e3:.2f} ms", flush=True)


if __name__ == "__main__":
    command, *paths = sys.argv[1:]
    if command == "save":
        save(Path(paths[0]))
    else:
        compare([Path(p) for p in paths])
