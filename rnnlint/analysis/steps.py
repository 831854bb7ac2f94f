"""Training steps: the ordered gradient events of each function, helpers inlined.

An event is a backward pass (``loss.backward()``, ``tape.gradient``,
``jax.grad``, ``compute_gradients``), an update (``optimizer.step()``,
``apply_gradients``, ``optax.apply_updates``, a manual ``p.data.add_``), a
clip, ``zero_grad`` or ``scaler.unscale_``. A function whose flattened events
hold a backward pass and an update is a training step; the order of its events
tells whether clipping can act (RNN202).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rnnlint import knowledge
from rnnlint.analysis.configs import TRAINING_FUNCTION
from rnnlint.analysis.pyindex import CallSite, ModuleInfo, expr_text, split_words
from rnnlint.analysis.resolve import LOCAL, Ctx, Resolver, split_local
from rnnlint.analysis.sites import import_site, line_site_after, line_site_before, module_alias, statement_lines, statement_of
from rnnlint.analysis.tfsites import tf_clip_sites
from rnnlint.analysis.wrappers import WrapperFinder
from rnnlint.facts import Clipping, Finding, Misplacement, TrainingLoop, UnitFacts

_OPTIMIZER_WORDS = {"opt", "optim", "optimizer", "optimizers", "scaler", "optimiser", "tx"}
_SCHEDULER_WORDS = {"sched", "scheduler", "lr"}
_GRAD_EVENTS = ("backward", "step", "zero_grad", "update", "minimize")


@dataclass
class Event:
    kind: str  # backward | step | minimize | zero_grad | unscale | clip | update | call
    order: int
    node: ast.AST
    mod: ModuleInfo
    flavor: str = "torch"  # which framework's training this is: torch | tf | jax
    scaled: bool = False
    callee: str | None = None
    clip: Clipping | None = None
    scope_key: str = ""


class TrainingSteps:
    def __init__(
        self,
        modules: list[ModuleInfo],
        resolver: Resolver,
        wrappers: WrapperFinder,
        facts: UnitFacts,
        dead: Callable[[CallSite, ModuleInfo], bool] | None = None,
    ) -> None:
        self.modules, self.resolver, self.wrappers, self.facts = modules, resolver, wrappers, facts
        self.dead = dead or (lambda site, mod: False)  # calls in branches that never run are no events either

    def run(self) -> None:
        optimizers = {o.target for o in self.facts.optimizers if o.target}
        schedulers = {s.target for s in self.facts.schedulers if s.target}
        clip_at = {c.node_id: c for c in self.facts.clips if c.source == "call" and c.node_id}
        raw: dict[tuple[str, str], list[Event]] = {}
        for mod in self.modules:
            for site in mod.calls:
                # whether a branch is dead is asked only of calls that are events: evaluating every call's `if`
                # tests cost a fifth of a whole-repository run (issue 18)
                ev = self._event(site, mod, optimizers, schedulers, clip_at)
                if ev is not None and not self.dead(site, mod):
                    ev.scope_key = site.scope.key
                    raw.setdefault((mod.path, site.scope.key), []).append(ev)
            for scope, order, node, _loops in mod.grad_updates:
                raw.setdefault((mod.path, scope.key), []).append(Event("update", order, node, mod))
                self.facts.manual_updates.append(Finding(mod.loc(node), ast.unparse(node).split("\n")[0][:60]))
        for events in raw.values():
            events.sort(key=lambda e: e.order)
        seen_loop: set[tuple[str, int, int]] = set()
        seen_clip: set[tuple[str, int, int]] = set()
        for (path, key), _ in sorted(raw.items()):
            flat = list(self._flatten(path, key, raw, frozenset()))
            kinds = {e.kind for e in flat}
            if not ("minimize" in kinds or ("backward" in kinds and kinds & {"step", "update"})):
                continue
            first = next(e for e in flat if e.kind in ("backward", "minimize"))
            loc = first.mod.loc(first.node)
            flavor = "config" if first.scope_key == TRAINING_FUNCTION else first.flavor
            if (loc.path, loc.line, loc.col) not in seen_loop:
                seen_loop.add((loc.path, loc.line, loc.col))
                loop = TrainingLoop(loc, flavor, first.scope_key or "<module>", any(e.scaled for e in flat))
                if flavor == "torch":
                    self._fix_sites(loop, first, flat)
                elif flavor == "tf":
                    self._tf_fix_sites(loop, first, flat)
                elif flavor == "config":
                    loop.config_fixes = dict(first.mod.config_fixes)
                self.facts.loops.append(loop)
            for m in [*self._misplaced(flat), *self._unapplied(flat)]:
                k = (m.loc.path, m.loc.line, m.loc.col)
                if k not in seen_clip:
                    seen_clip.add(k)
                    self.facts.misplaced_clips.append(m)

    @staticmethod
    def _fix_sites(loop: TrainingLoop, backward: Event, flat: list[Event]) -> None:
        """Where clipping would go: after the backward pass, in the same function as the update."""
        step = next((e for e in flat if e.kind == "step"), None)
        if step is None or step.scope_key != backward.scope_key or not isinstance(step.node, ast.Call):
            return
        fn = step.node.func
        if not isinstance(fn, ast.Attribute):
            return
        receiver = expr_text(fn.value)
        if fn.attr == "step" and step.node.args and "scaler" in receiver:  # scaler.step(optimizer)
            loop.scaler, loop.optimizer = receiver, ast.unparse(step.node.args[0])
        else:
            loop.optimizer = receiver
        loop.after_backward = line_site_after(backward.mod, backward.node)
        loop.torch_name = module_alias(backward.mod, "torch")
        loop.import_site = import_site(backward.mod)

    def _tf_fix_sites(self, loop: TrainingLoop, first: Event, flat: list[Event]) -> None:
        """Where a TF step gets clipping (RNN201): its first gradient event and the update in the same function."""
        step = next((e for e in flat if e.kind == "step" and e.flavor == "tf"), None)
        if step is not None and (step.mod is not first.mod or step.scope_key != first.scope_key):
            step = None
        mod, node = first.mod, first.node
        scope = mod.scopes.get(first.scope_key, mod.module_scope)
        qname = None
        if isinstance(node, ast.Call):
            fn = node.func
            if first.kind == "minimize" and isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Call):
                qname = self.resolver.qualname(fn.value.func, Ctx(mod, scope))  # tf.train.AdamOptimizer(lr).minimize
            elif first.kind == "backward":
                qname = self.resolver.qualname(fn, Ctx(mod, scope))
        tf_clip_sites(loop, first.kind, node, step.node if step else None, mod, scope, qname, self.facts.optimizers)

    def _event(
        self,
        site: CallSite,
        mod: ModuleInfo,
        optimizers: set[str],
        schedulers: set[str],
        clip_at: dict[int, Clipping],
    ) -> Event | None:
        node = site.node
        clip = clip_at.get(id(node))
        if clip is not None:
            return Event("clip", site.order, node, mod, clip=clip)
        fn = node.func
        ctx = Ctx(mod, site.scope)
        if isinstance(fn, ast.Attribute):
            ev = self._method_event(site, mod, fn, optimizers, schedulers, ctx)
            if ev is not None:
                return ev
        q = self.resolver.qualname(fn, ctx)
        spec = knowledge.lookup(q)
        if q == "torch.autograd.backward":
            return Event("backward", site.order, node, mod)
        if q in ("tensorflow.gradients", "tensorflow.compat.v1.gradients"):
            return Event("backward", site.order, node, mod, "tf")
        if spec is not None and spec.role == "grad":
            return Event("backward", site.order, node, mod, "jax")
        if spec is not None and spec.role == "apply_updates":
            return Event("step", site.order, node, mod, "jax")
        if q and q.startswith(LOCAL) and self.resolver.class_info(q) is None:
            return Event("call", site.order, node, mod, callee=q)
        return None

    def _method_event(
        self, site: CallSite, mod: ModuleInfo, fn: ast.Attribute, optimizers: set[str], schedulers: set[str], ctx: Ctx
    ) -> Event | None:
        node, attr = site.node, fn.attr
        if attr not in _EVENT_METHODS:
            return None  # most calls: no need to spell out the receiver
        receiver = expr_text(fn.value)
        words = set(split_words(receiver))
        optimizer_like = receiver in optimizers or bool(words & _OPTIMIZER_WORDS)
        if attr in ("backward", "manual_backward"):
            scaled = isinstance(fn.value, ast.Call) and isinstance(fn.value.func, ast.Attribute) and fn.value.func.attr == "scale"
            return Event("backward", site.order, node, mod, scaled=scaled)
        if attr == "gradient" and words & {"tape", "g"}:
            return Event("backward", site.order, node, mod, "tf")
        if attr == "compute_gradients" and optimizer_like:
            return Event("backward", site.order, node, mod, "tf")
        if attr == "minimize" and optimizer_like:
            return Event("minimize", site.order, node, mod, "tf")
        if attr == "apply_gradients":
            return Event("step", site.order, node, mod, "tf")
        if attr == "zero_grad":
            return Event("zero_grad", site.order, node, mod)
        if attr == "unscale_":
            return Event("unscale", site.order, node, mod)
        if attr == "step":
            if receiver in schedulers or words & _SCHEDULER_WORDS:
                return None
            if optimizer_like:
                closure = node.args[0] if node.args else None
                callee = self.resolver.qualname(closure, ctx) if closure is not None else None
                return Event("step", site.order, node, mod, callee=callee)
        return None

    def _flatten(self, path: str, key: str, raw: dict[tuple[str, str], list[Event]], busy: frozenset[str]) -> Iterator[Event]:
        if key in busy or len(busy) > 5:
            return
        for ev in raw.get((path, key), []):
            if ev.kind == "call" or (ev.kind == "step" and ev.callee):
                callee = ev.callee or ""
                if callee.startswith(LOCAL):
                    cpath, inner = split_local(callee)
                    yield from self._flatten(cpath, inner, raw, busy | {key})
                if ev.kind == "call":
                    continue
            yield ev

    @staticmethod
    def _misplaced(flat: list[Event]) -> Iterator[Misplacement]:
        """Clipping between the wrong events: before backward, after the update, on scaled gradients."""
        for i, ev in enumerate(flat):
            if ev.kind != "clip" or ev.clip is None or not _in_loop_clip(ev.clip):
                continue
            prev = next((e for e in reversed(flat[:i]) if e.kind in _GRAD_EVENTS), None)
            nxt = next((e for e in flat[i + 1 :] if e.kind in _GRAD_EVENTS), None)
            loc = ev.clip.loc
            if nxt is not None and nxt.kind == "backward" and (prev is None or prev.kind != "backward"):
                yield _moved(ev, nxt, "it runs before backward(), so it clips gradients that backward() then replaces")
            elif prev is not None and prev.kind in ("step", "update") and (nxt is None or nxt.kind != "step"):
                backward = next((e for e in reversed(flat[:i]) if e.kind == "backward"), None)
                yield _moved(
                    ev, backward, "it runs after optimizer.step(), when the update has already used the unclipped gradients"
                )
            elif prev is not None and prev.kind == "backward" and prev.scaled:
                between = flat[flat.index(prev) + 1 : i]
                if not any(e.kind == "unscale" for e in between):
                    m = Misplacement(
                        loc, "under AMP the gradients are still scaled here; call scaler.unscale_(optimizer) before clipping"
                    )
                    step = nxt if nxt is not None and nxt.kind == "step" and isinstance(nxt.node, ast.Call) else None
                    scaler = _scaler_of(prev)
                    site = line_site_before(ev.mod, ev.node)
                    if step is not None and step.node.args and scaler and site and ev.scope_key == step.scope_key:  # type: ignore[attr-defined]
                        m.insert_before = (site, f"{scaler}.unscale_({ast.unparse(step.node.args[0])})")  # type: ignore[attr-defined]
                    yield m

    def _unapplied(self, flat: list[Event]) -> Iterator[Misplacement]:
        """Clipped tensors computed, but the update applies the unclipped ones (TF data flow)."""
        for i, ev in enumerate(flat):
            if ev.kind != "clip" or ev.clip is None or not isinstance(ev.node, ast.Call):
                continue
            produced = self._assigned_names(ev)
            if not produced:
                continue
            clipped_from = {n.id for a in ev.node.args[:1] for n in ast.walk(a) if isinstance(n, ast.Name)}
            for later in flat[i + 1 :]:
                if later.kind == "minimize":
                    yield Misplacement(
                        ev.clip.loc, "minimize() computes and applies fresh, unclipped gradients; the clipped ones are never used"
                    )
                    break
                if later.kind != "step" or later.flavor != "tf" or not isinstance(later.node, ast.Call):
                    continue
                used = {
                    n.id
                    for a in [*later.node.args, *(k.value for k in later.node.keywords)]
                    for n in ast.walk(a)
                    if isinstance(n, ast.Name)
                }
                if not used & produced and used & clipped_from:
                    names = ", ".join(sorted(used & clipped_from))
                    yield Misplacement(
                        ev.clip.loc, f"the clipped gradients are computed but apply_gradients() applies the unclipped `{names}`"
                    )
                break

    def _assigned_names(self, ev: Event) -> set[str]:
        parent = self.wrappers.parents(ev.mod).get(id(ev.node))
        while parent is not None and not isinstance(parent, ast.stmt):
            parent = self.wrappers.parents(ev.mod).get(id(parent))
        if not isinstance(parent, ast.Assign) or len(parent.targets) != 1:
            return set()
        target = parent.targets[0]
        if isinstance(target, ast.Tuple) and target.elts and isinstance(target.elts[0], ast.Name):
            return {target.elts[0].id}
        return {target.id} if isinstance(target, ast.Name) else set()


_EVENT_METHODS = {
    "backward", "manual_backward", "gradient", "compute_gradients", "minimize", "apply_gradients", "zero_grad", "unscale_", "step",
}  # fmt: skip


def _in_loop_clip(clip: Clipping) -> bool:
    """Clips that act on the gradients present when they run (torch-style), unlike optax or TF data flow."""
    return clip.api.startswith("torch") or clip.api in ("clip_grad_norm_", "clip_grad_value_", "clip_gradients", "grad.clamp_")


def _moved(clip: Event, anchor: Event | None, reason: str) -> Misplacement:
    """A misplaced clip, with where to move it: right after ``anchor`` (a backward pass) in the same function."""
    assert clip.clip is not None
    m = Misplacement(clip.clip.loc, reason)
    if anchor is not None and anchor.scope_key == clip.scope_key and anchor.mod is clip.mod:
        m.statement = statement_lines(clip.mod, clip.node)
        m.move_to = line_site_after(anchor.mod, anchor.node)
        stmt = statement_of(clip.mod, clip.node)
        m.statement_text = ast.get_source_segment(clip.mod.source, stmt) if stmt is not None else None
    return m


def _scaler_of(backward: Event) -> str | None:
    """``scaler`` in ``scaler.scale(loss).backward()``."""
    node = backward.node
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call):
        inner = node.func.value.func
        if isinstance(inner, ast.Attribute):
            return ast.unparse(inner.value)
    return None
