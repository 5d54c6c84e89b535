"""Brain directory configuration, declared by the boot program.

A brain directory holds ``boot.ternsig`` and the region firmware. The boot program's ``.config``
section (which the reference assembler ignores, so the file stays valid for it) declares the
topology, one declaration a line::

    .config
        brain demo
        task patterns classes=4 width=16 noise=24 seed=7
        region sensory  firmware=sensory.ternsig  role=runtime    input=@env
        region learner  firmware=learner.ternsig  role=learning   input=sensory target=@env
        region reg      firmware=regulation.ternsig role=regulation
        region column[64] firmware=column.ternsig input=sensory,column[i-1]   ; an array (host/arrays.py)
        key learner 1=learner.w0
        model learner 0=helper.ternsig
        bank memory 0=episodic
        route column 1=column[i+1] 2=pool     ; region ids in firmware: 1 = my right neighbour, 2 = pool
        budget 100000                       ; instructions per region per tick
        work 25600000                       ; optional: work units per region per tick (default budget x 256)
        lifecycle every=200 promote=16,64     ; optional: the temperature lifecycle (off by default)
        checkpoint every=0 seconds=1 keep=3   ; optional: when state is committed (this is the default)

The boot program's ``.program`` then runs once, as layer 1 (phase and level writes, log events,
thermogram registration); after it halts the topology is frozen.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Optional

from ..errors import AssemblyError
from ..safety.policy import Role
from .arrays import Ref, Topology, instance_name, split_decl, substitute

#: roles a region may be declared with (boot is the boot program's alone)
ROLES = tuple(r.value for r in Role if r is not Role.BOOT)


@dataclass
class RegionDecl:
    name: str
    firmware: str
    role: str = "runtime"
    inputs: list[str] = field(default_factory=list)
    target: Optional[str] = None
    budget: Optional[int] = None
    line: int = 0
    work: Optional[int] = None            # work units per tick (isa/cost.py); None: the brain's default
    array: Optional[str] = None           # the array this region is an instance of (host/arrays.py)
    index: Optional[int] = None           # its index in that array ({i})


@dataclass
class BrainConfig:
    name: str = "brain"
    task: Optional[dict[str, str]] = None
    task_line: int = 0
    regions: list[RegionDecl] = field(default_factory=list)
    #: region arrays: name -> instance count (instances are regions named NAME[i], see host/arrays.py)
    arrays: dict[str, int] = field(default_factory=dict)
    keys: dict[str, dict[int, str]] = field(default_factory=dict)
    models: dict[str, dict[int, str]] = field(default_factory=dict)
    banks: dict[str, dict[int, str]] = field(default_factory=dict)
    budget: int = 100_000
    #: work units per region per tick (None: budget x host.regionrun.WORK_PER_INSTRUCTION)
    work: Optional[int] = None
    bank_width: int = 64
    #: temperature lifecycle: review learning regions' weights every N ticks (0 = off)
    lifecycle_every: int = 0
    lifecycle_promote: tuple[int, int] = (16, 64)
    #: checkpoint policy overrides (``checkpoint every=N seconds=T keep=K``); None = the default
    checkpoint_every: Optional[int] = None
    checkpoint_seconds: Optional[float] = None
    checkpoint_keep: Optional[int] = None
    #: IPC/orchestration routes per region: firmware region id -> region name, or None when the
    #: reference is a relative instance outside the array (``route col 1=col[i+1]`` at the last instance)
    routes: dict[str, dict[int, Optional[str]]] = field(default_factory=dict)
    #: spiking substrate per region: {"region": {"snn"|"pool": {key: value}}} (host/spiking_ops.py)
    spiking: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)


def _kv(tokens: list[str], line: int, col0: int) -> dict[str, str]:
    out: dict[str, str] = {}
    for t in tokens:
        k, eq, v = t.partition("=")
        if not eq or not k or not v:
            raise AssemblyError(f"expected key=value, got {t!r}", line, col0)
        out[k.lower()] = v
    return out


def _int(text: str, line: int, what: str, lo: Optional[int] = None) -> int:
    try:
        v = int(text, 0)
    except ValueError:
        raise AssemblyError(f"{what} must be an integer, got {text!r}", line, 1) from None
    if lo is not None and v < lo:
        raise AssemblyError(f"{what} must be at least {lo}, got {v}", line, 1)
    return v


def _seconds(text: str, line: int, what: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise AssemblyError(f"{what} must be a number, got {text!r}", line, 1) from None
    if not 0 <= v < 1e9:
        raise AssemblyError(f"{what} must be 0 or more, got {text}", line, 1)
    return v


def _plain(name: str, what: str, lineno: int, col: int) -> str:
    from ..confine import ConfinementError, plain_name

    try:
        return plain_name(name, what)
    except ConfinementError as exc:
        raise AssemblyError(str(exc), lineno, col) from None


def parse_config(source: str, source_name: str = "boot.ternsig") -> BrainConfig:
    """Read the ``.config`` section of a boot program."""
    cfg = BrainConfig()
    in_config = False
    names: set[str] = set()
    topo = Topology()
    # region lines and table lines are resolved once every name is known (any order is fine)
    pending: list[tuple] = []
    tables: list[tuple[str, str, dict[str, str], int, int]] = []
    for lineno, raw in enumerate(source.splitlines(), 1):
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        if line.startswith("."):
            in_config = line.lower() == ".config"
            continue
        if not in_config:
            continue
        col = len(raw) - len(raw.lstrip()) + 1
        try:
            tokens = shlex.split(line)
        except ValueError as exc:
            raise AssemblyError(f"bad .config line: {exc}", lineno, col, source_name) from None
        head, rest = tokens[0].lower(), tokens[1:]
        try:
            if head == "brain" and rest:
                cfg.name = rest[0]
            elif head == "task" and rest:
                cfg.task = {"kind": rest[0], **_kv(rest[1:], lineno, col)}
                cfg.task_line = lineno
            elif head == "budget" and rest:
                cfg.budget = _int(rest[0], lineno, "budget", 1)
            elif head == "work" and rest:
                cfg.work = _int(rest[0], lineno, "work", 1)
            elif head == "lifecycle" and rest:
                kv = _kv(rest, lineno, col)
                cfg.lifecycle_every = _int(kv.get("every", "100"), lineno, "lifecycle every", 0)
                if "promote" in kv:
                    parts = kv["promote"].split(",")
                    if len(parts) != 2:
                        raise AssemblyError("lifecycle promote=HOT_USES,WARM_USES", lineno, col, source_name)
                    cfg.lifecycle_promote = (_int(parts[0], lineno, "promote", 1), _int(parts[1], lineno, "promote", 1))
            elif head == "checkpoint" and rest:
                kv = _kv(rest, lineno, col)
                for k in kv:
                    if k not in ("every", "seconds", "keep"):
                        raise AssemblyError(f"checkpoint: unknown option {k!r} (every=TICKS seconds=S keep=K)",
                                            lineno, col, source_name)
                if "every" in kv:
                    cfg.checkpoint_every = _int(kv["every"], lineno, "checkpoint every", 0)
                if "seconds" in kv:
                    cfg.checkpoint_seconds = _seconds(kv["seconds"], lineno, "checkpoint seconds")
                if "keep" in kv:
                    cfg.checkpoint_keep = _int(kv["keep"], lineno, "checkpoint keep", 1)
            elif head == "bank_width" and rest:
                cfg.bank_width = _int(rest[0], lineno, "bank_width", 1)
            elif head == "region" and rest:
                base, count = split_decl(rest[0], lineno, col)
                name, kv = _plain(base, "region name", lineno, col), _kv(rest[1:], lineno, col)
                if name in names:
                    raise AssemblyError(f"region {name!r} declared twice", lineno, col, source_name)
                if "firmware" not in kv:
                    raise AssemblyError(f"region {name!r} needs firmware=FILE", lineno, col, source_name)
                role = kv.get("role", "runtime").lower()
                if role not in ROLES:
                    raise AssemblyError(f"region {name!r}: unknown role {role!r} (one of {', '.join(ROLES)})",
                                        lineno, col, source_name)
                names.add(name)
                if count is None:
                    topo.plain.add(name)
                else:
                    topo.arrays[name] = count
                budget = _int(kv["budget"], lineno, "budget", 1) if "budget" in kv else None
                work = _int(kv["work"], lineno, "work", 1) if "work" in kv else None
                refs = [Ref.parse(x, lineno, col) for x in kv.get("input", "").split(",") if x]
                target = Ref.parse(kv["target"], lineno, col) if "target" in kv else None
                pending.append((name, count, kv["firmware"], role, refs, target, budget, work, lineno))
            elif head in ("snn", "pool") and rest:
                tables.append((head, rest[0], _kv(rest[1:], lineno, col), lineno, col))
            elif head == "route" and len(rest) >= 2:
                tables.append((head, rest[0], {str(_int(k, lineno, "route id", 0)): v
                                               for k, v in _kv(rest[1:], lineno, col).items()}, lineno, col))
            elif head in ("key", "model", "bank") and len(rest) >= 2:
                tables.append((head, rest[0], {str(_int(k, lineno, f"{head} slot")): v
                                               for k, v in _kv(rest[1:], lineno, col).items()}, lineno, col))
            else:
                raise AssemblyError(f"unknown .config declaration {line!r}", lineno, col, source_name)
        except AssemblyError as exc:
            if exc.source_name is None:
                raise AssemblyError(exc.message, exc.line, exc.column, source_name) from None
            raise
    try:
        _resolve(cfg, topo, pending, tables)
    except AssemblyError as exc:
        raise AssemblyError(exc.message, exc.line, exc.column, source_name) from None
    if not cfg.regions:
        raise AssemblyError("the boot program declares no regions (.config: region NAME firmware=FILE ...)", 1, 1,
                            source_name)
    return cfg


def _resolve(cfg: BrainConfig, topo: Topology, pending: list[tuple], tables: list[tuple]) -> None:
    """Expand arrays into instances, resolve every reference, fill the per-region tables."""
    cfg.arrays = dict(topo.arrays)
    for name, count, firmware, role, refs, target, budget, work, line in pending:
        for index in ([None] if count is None else range(count)):
            rname = name if index is None else instance_name(name, index)
            what = f"region {rname!r}"
            inputs = [n for ref in refs for n in topo.resolve(ref, index, line, f"{what} input")]
            tgt = None
            if target is not None:
                got = topo.resolve(target, index, line, f"{what} target", many=False)
                tgt = got[0] if got else None
            cfg.regions.append(RegionDecl(rname, substitute(firmware, index, line, f"{what} firmware"), role, inputs,
                                          tgt, budget, line, work, name if index is not None else None, index))
    for head, region, kv, line, col in tables:
        ref = Ref.parse(region, line, col)
        if head == "key" and region == "boot" and not topo.has("boot"):    # the boot program's keys
            covered: list[tuple[str, Optional[int]]] = [("boot", None)]
        else:
            covered = topo.instances(ref, line, {"snn": "snn/pool", "pool": "snn/pool"}.get(head, head))
        for rname, index in covered:
            vals = {k: substitute(v, index, line, f"{head} {rname}") for k, v in kv.items()}
            if head in ("snn", "pool"):
                cfg.spiking.setdefault(rname, {})[head] = vals
                continue
            if head == "route":
                _route(cfg, topo, rname, index, vals, line, col)
                continue
            table = {"key": cfg.keys, "model": cfg.models, "bank": cfg.banks}[head]
            slots = table.setdefault(rname, {})
            for k, v in vals.items():
                slots[int(k)] = _plain(v, "bank name", line, col) if head == "bank" else v


def _route(cfg: BrainConfig, topo: Topology, rname: str, index: Optional[int], vals: dict[str, str],
           line: int, col: int) -> None:
    """``route NAME ID=REF ...``: for region ``rname`` (instance ``index``), firmware region id ID
    means REF (a region, a fixed instance, or ``col[i±K]`` resolved for this instance)."""
    routes = cfg.routes.setdefault(rname, {})
    for k, v in vals.items():
        rid = int(k)
        if rid > 255:
            raise AssemblyError(f"route {rname}: id {rid} is not a region id (0..255, a u8 immediate)", line, col)
        ref = Ref.parse(v, line, col)
        if ref.base == "@env":
            raise AssemblyError(f"route {rname}: {rid}=@env is not a region", line, col)
        got = topo.resolve(ref, index, line, f"route {rname} {rid}", many=False)
        routes[rid] = got[0] if got else None
