"""``--code train.py``: the line the static linter would change for a runtime finding."""

from __future__ import annotations

from pathlib import Path

from rnnlint.diagnostics import Diagnostic

# runtime code -> the static rules whose fix site is the change the finding asks for (data).
STATIC_FOR: dict[str, tuple[str, ...]] = {
    "RNN601": ("RNN201", "RNN206", "RNN208"),
    "RNN602": ("RNN201", "RNN206"),
    "RNN603": ("RNN201", "RNN202", "RNN203"),
    "RNN604": ("RNN101",),
    "RNN605": ("RNN204", "RNN205"),
    "RNN606": ("RNN105", "RNN107", "RNN301"),
    "RNN607": ("RNN104", "RNN103"),
    "RNN608": ("RNN206", "RNN204"),
    "RNN609": ("RNN206",),
    "RNN611": ("RNN402",),
}


def static_sites(code_files: list[Path]) -> dict[str, list[Diagnostic]]:
    """The static linter's diagnostics on ``code_files``, by code (only the codes above)."""
    from rnnlint.run.runner import lint_files
    from rnnlint.settings.model import Settings

    wanted = sorted({c for codes in STATIC_FOR.values() for c in codes})
    roots = sorted({p.resolve().parent for p in code_files})
    result = lint_files(code_files, Settings(select=wanted), roots)
    out: dict[str, list[Diagnostic]] = {}
    for d in result.diagnostics:
        out.setdefault(d.code, []).append(d)
    return out


def site_for(code: str, sites: dict[str, list[Diagnostic]]) -> Diagnostic | None:
    for static in STATIC_FOR.get(code, ()):
        if sites.get(static):
            return sites[static][0]
    return None
