"""The performance claim of RNN501/RNN502, measured on the machine at hand: a fused ``nn.LSTM``
against a Python loop over ``nn.LSTMCell`` (one cell per layer), forward and backward.

Both sides compute the same recurrence with the same number of parameters; each shape is
timed ``repeats`` times after one warm-up, and the ratio of the medians (loop / fused) is
reported: above 1 the fused layer is faster. The ratio depends on the device: cuDNN on a
GPU runs the whole sequence in a few kernels, while on a CPU with few threads torch's fused
layer does not beat the loop by much, or at all.
"""

from __future__ import annotations

import platform
import statistics
import time
from typing import Any

# (batch, steps, hidden, layers): the shape the issue names first, a small one, a wide one
SHAPES = {
    "quick": [(16, 20, 64, 1)],
    "medium": [(64, 100, 256, 2), (32, 50, 128, 1), (128, 50, 512, 1)],
    "full": [(64, 100, 256, 2), (32, 50, 128, 1), (128, 50, 512, 1)],
}
REPEATS = {"quick": 2, "medium": 3, "full": 7}


def device_name(device: str) -> str:
    import torch

    if device == "cuda":
        return str(torch.cuda.get_device_name(0))
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _time(step: Any, sync: Any, repeats: int) -> float:
    step()  # warm-up: allocations, cuDNN plans, lazy initialisation
    sync()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure_shape(batch: int, steps: int, hidden: int, layers: int, device: str, repeats: int) -> dict[str, Any]:
    """Median seconds of one forward+backward pass, fused vs looped, and their ratio."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    features = hidden
    x = torch.randn(batch, steps, features, device=device)
    fused = nn.LSTM(features, hidden, num_layers=layers, batch_first=True).to(device)
    cells = nn.ModuleList([nn.LSTMCell(features if i == 0 else hidden, hidden) for i in range(layers)]).to(device)

    def run_fused() -> None:
        fused.zero_grad(set_to_none=True)
        out, _ = fused(x)
        out.sum().backward()

    def run_loop() -> None:
        cells.zero_grad(set_to_none=True)
        inputs = list(x.unbind(1))
        for cell in cells:
            h = x.new_zeros(batch, hidden)
            c = x.new_zeros(batch, hidden)
            outputs = []
            for x_t in inputs:
                h, c = cell(x_t, (h, c))
                outputs.append(h)
            inputs = outputs
        torch.stack(inputs, 1).sum().backward()

    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    fused_s = _time(run_fused, sync, repeats)
    loop_s = _time(run_loop, sync, repeats)
    return {
        "batch": batch,
        "steps": steps,
        "hidden": hidden,
        "layers": layers,
        "fused_s": fused_s,
        "loop_s": loop_s,
        "ratio": loop_s / fused_s,
    }


def measure(mode: str, device: str) -> dict[str, Any]:
    """Every shape of ``mode`` on ``device`` ("cpu" or "cuda"), with what the ratios depend on."""
    import torch

    shapes = [measure_shape(*shape, device=device, repeats=REPEATS[mode]) for shape in SHAPES[mode]]
    return {
        "device": device,
        "device_name": device_name(device),
        "threads": torch.get_num_threads(),
        "torch": str(torch.__version__),
        "cudnn": torch.backends.cudnn.version() if device == "cuda" else None,
        "repeats": REPEATS[mode],
        "shapes": shapes,
        "ratio_min": min(s["ratio"] for s in shapes),
        "ratio_max": max(s["ratio"] for s in shapes),
    }
