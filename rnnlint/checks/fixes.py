"""Building fixes from the sites the facts carry. Constants come from ``[tool.rnnlint.fix]`` (the guidelines' values by default)."""

from __future__ import annotations

import re

from rnnlint.diagnostics import Edit, Fix
from rnnlint.facts import KwargSite, LineSite, Misplacement, Optimizer, TrainingLoop


def number(value: float) -> str:
    """A constant as a reader writes it: ``5.0``, ``0.5``, ``1e-5`` (not ``1e-05``)."""
    text = repr(float(value))
    return re.sub(r"e([+-])0*(\d)", lambda m: f"e{'-' if m.group(1) == '-' else ''}{m.group(2)}", text)


def add_kwarg(site: KwargSite | None, name: str, value: str, message: str) -> Fix | None:
    """``f(a)`` -> ``f(a, name=value)``; nothing when the call already names it."""
    if site is None or name in site.given:
        return None
    return Fix("safe", message, (Edit(site.loc, f"{site.prefix}{name}={value}"),))


def line_after(site: LineSite, code: str) -> Edit:
    return Edit(site.loc, f"\n{site.indent}{code}")


def line_before(site: LineSite, code: str) -> Edit:
    return Edit(site.loc, f"{site.indent}{code}\n")


def clip_torch_loop(loop: TrainingLoop, optimizers: list[Optimizer], norm: str) -> Fix | None:
    """Global-norm clipping right after ``backward()`` (after ``unscale_`` under AMP)."""
    opt = next((o for o in optimizers if o.target == loop.optimizer and o.params_text), None)
    if loop.after_backward is None or opt is None or opt.params_text is None:
        return None
    torch = loop.torch_name or "torch"
    code = f"{torch}.nn.utils.clip_grad_norm_({opt.params_text}, max_norm={norm})"
    edits = []
    if loop.amp and loop.scaler:
        edits.append(line_after(loop.after_backward, f"{loop.scaler}.unscale_({loop.optimizer})"))
    edits.append(line_after(loop.after_backward, code))
    if loop.torch_name is None:
        if loop.import_site is None:
            return None
        at = loop.import_site
        edits.insert(
            0, Edit(at.loc, "import torch\n") if at.loc.line == 1 and at.loc.col == 1 else line_after(at, "import torch")
        )
    return Fix("safe", f"insert `{code}` after the backward pass", tuple(edits))


def move_clip(m: Misplacement) -> Fix | None:
    """Move a misplaced clipping statement to right after ``backward()``; or unscale first under AMP."""
    if m.insert_before is not None:
        site, code = m.insert_before
        return Fix("safe", f"insert `{code}` before clipping", (line_before(site, code),))
    if m.statement is None or m.move_to is None or not m.statement_text or "\n" in m.statement_text:
        return None
    return Fix(
        "safe",
        "move the clipping to right after the backward pass",
        (Edit(m.statement, ""), line_after(m.move_to, m.statement_text.strip())),
    )
