"""The interpreter loop: decode once at load, then run bound handlers.

Loading a program binds every instruction to its handler with the machine and its operand bytes
already in place (``functools.partial``), so the run loop does no byte parsing, dict lookups or
string work: fetch, advance pc, call.
"""
from __future__ import annotations

import operator
from functools import partial
from typing import Any, Callable, Iterable, Optional

import numpy as np

from ..errors import ExecFault, HostError, LimitFault, PanicFault, Trap, UsageError
from ..isa.encoding import Instruction
from ..program import Program
from ..registry import ExtensionRegistry
from .results import BREAK, CONTINUE, ENDED, HALT, Status, StepResult
from .compiled import S_ENDED, S_FUEL, S_HALT, S_SPACE
from .compiled.warm import ready as _ready
from .access import MachineAccess
from .state import Machine


HostHandler = Callable[[Any, Machine], bool]
_I32 = np.dtype(np.int32)
_FLAT = (4,)                            # strides of a contiguous 1-D int32 array
_NO_INPUT = np.zeros(0, np.int32)
_NOT_LOADED = (1 << 22) + 1             # more than MAX_ELEMENTS: the compiled load_input falls back


def _fault(message: str) -> Callable[[], Any]:
    def bound() -> Any:
        raise ExecFault(message)

    return bound


class Interpreter(MachineAccess):
    """Runs one program on one machine.

    ``registry`` holds the extensions this interpreter may dispatch to (default: all standard
    extensions). An instruction of an unregistered extension fails when executed with the
    reference's message ("Unknown extension: 0x%04X"). Arrays in and out, registers, weights and
    chemicals by name, ``save``/``load``: see :class:`~ternsig.vm.access.MachineAccess`.
    """

    def __init__(self, program: Optional[Program] = None, registry: Optional[ExtensionRegistry] = None,
                 machine: Optional[Machine] = None, tier: Optional[str] = None):
        from .compiled import resolve_tier

        #: "compiled" (the default; ``TERNSIG_TIER``) or "interp" (the Python reference tier)
        self.tier = resolve_tier(tier)
        self._cx: Any = None
        self.registry = registry if registry is not None else ExtensionRegistry.standard()
        self.m = machine if machine is not None else Machine()
        for table in self.registry.tables():
            if table.state_factory is not None and table.ext_id not in self.m.ext_state:
                self.m.ext_state[table.ext_id] = table.state_factory()
        self.program = Program()
        self._code: list[Callable[[], Any]] = []
        self._charged: Optional[list[Callable[[], Any]]] = None   # _code with work charges (vm/work.py)
        self.steps = 0          # instructions executed over this interpreter's life
        #: work units left after the last run given ``work=`` (isa/cost.py); -1 after an unbudgeted run
        self.work_left = -1
        #: called with the pc after an instruction that writes weights, in runs given ``work=``
        #: (the host's layer-4 guard; it raises a PolicyTrap to stop the run at that pc)
        self.on_weight_write: Optional[Callable[[int], None]] = None
        if program is not None:
            self.load_program(program)

    # ---- loading ---------------------------------------------------------------------------------
    def load_program(self, program: Program, allocate: bool = True) -> None:
        """Load (or replace) the program: pc 0, core loop and call stacks cleared, declared
        registers allocated zeroed, instructions decoded."""
        self.program = program
        m = self.m
        m.pc = 0
        m.loop_stack.clear()
        m.call_stack.clear()
        if allocate:
            m.allocate_program(program)
        self._code = [self.bind(ins) for ins in program.instructions]
        self._charged = None
        if self.tier == "compiled":
            from .compiled import CompiledCode

            self._cx = CompiledCode(program.instructions, self._spec_of)

    def _spec_of(self, ins: Instruction) -> Any:
        """The spec :meth:`bind` dispatches ``ins`` to (None: it faults when run)."""
        table = self.registry.get(ins.ext_id)
        spec = table.by_opcode.get(ins.opcode) if table is not None else None
        return spec if spec is not None and spec.handler is not None else None

    def bind(self, ins: Instruction) -> Callable[[], Any]:
        """Decode one instruction into a zero-argument callable."""
        table = self.registry.get(ins.ext_id)
        if table is None:
            return _fault(f"Unknown extension: 0x{ins.ext_id:04X}")
        spec = table.by_opcode.get(ins.opcode)
        if spec is None or spec.handler is None:
            return _fault(table.unknown_opcode_message(ins.opcode))
        handler = spec.handler
        specialise = getattr(handler, "specialise", None)
        if specialise is not None:
            # a handler may pick, once, a closure for these exact operand bytes (bank checks
            # done, register indices masked); it behaves exactly as the handler would
            fast = specialise(self.m, ins.a, ins.b, ins.c, ins.d)
            if fast is not None:
                return fast
        return partial(handler, self.m, ins.a, ins.b, ins.c, ins.d)

    def patch(self, index: int, ins: Instruction) -> None:
        """Replace one instruction of the loaded program (and its decoded form)."""
        self.program.instructions[index] = ins
        self._code[index] = self.bind(ins)
        self._charged = None
        if self._cx is not None:
            self._cx.set(index, ins)

    def _charged_code(self) -> list[Callable[[], Any]]:
        """The decoded program with each instruction's work charge in front (built on first use)."""
        if self._charged is None:
            from .work import charged

            out = []
            for pc, (ins, run) in enumerate(zip(self.program.instructions, self._code)):
                spec = self._spec_of(ins)
                out.append(run if spec is None else charged(self, spec, ins.a, ins.b, ins.c, ins.d, run, pc))
            self._charged = out
        return self._charged

    # ---- state accessors -------------------------------------------------------------------------
    @property
    def pc(self) -> int:
        return self.m.pc

    @pc.setter
    def pc(self, value: int) -> None:
        self.m.pc = value

    def is_ended(self) -> bool:
        return self.m.pc >= len(self._code)

    def load_input(self, values: Iterable[int]) -> None:
        self.m.set_input(values if isinstance(values, (list, tuple, np.ndarray)) else list(values))

    def load_target(self, values: Iterable[int]) -> None:
        self.m.set_target(values if isinstance(values, (list, tuple, np.ndarray)) else list(values))

    def output(self) -> list[int]:
        return self.m.output.tolist()

    # ---- execution ---------------------------------------------------------------------------------
    def _result_for(self, r: Any) -> StepResult:
        if isinstance(r, StepResult):
            return r
        return StepResult(Status.YIELD, op=r, pc=self.m.pc)

    def _failure(self, exc: BaseException, pc: int) -> StepResult:
        ins = self.program.instructions[pc] if 0 <= pc < len(self.program.instructions) else None
        if isinstance(exc, ExecFault):
            return StepResult(Status.ERROR, message=exc.message, pc=pc, instruction=ins, kind="error")
        if isinstance(exc, PanicFault):
            return StepResult(Status.TRAP, message=exc.message, pc=pc, instruction=ins, kind="panic")
        if isinstance(exc, Trap):
            return StepResult(Status.TRAP, message=exc.reason, pc=pc, instruction=ins, kind=exc.kind)
        if isinstance(exc, HostError):        # a host callback refused its DomainOp: a host trap
            return StepResult(Status.TRAP, message=str(exc), pc=pc, instruction=ins, kind="host")
        if isinstance(exc, LimitFault):
            return StepResult(Status.TRAP, message=exc.message, pc=pc, instruction=ins, kind="memory")
        if isinstance(exc, MemoryError):      # NumPy could not allocate: still a memory trap, never a crash
            return StepResult(Status.TRAP, message=f"out of memory: {exc}", pc=pc, instruction=ins, kind="memory")
        return StepResult(Status.TRAP, message=f"internal error: {type(exc).__name__}: {exc}", pc=pc,
                          instruction=ins, kind="internal")

    def step(self) -> StepResult:
        """Execute one instruction and say what happened."""
        m = self.m
        pc = m.pc
        if pc >= len(self._code):
            return ENDED
        m.pc = pc + 1
        self.steps += 1
        try:
            r = self._code[pc]()
        except Exception as exc:  # handler faults become results; nothing escapes
            return self._failure(exc, pc)
        if r is None:
            return CONTINUE
        return self._result_for(r)

    def _run(self, fuel: Optional[int], stop_on_yield: bool, host: Optional[HostHandler],
             work: Optional[int] = None) -> StepResult:
        m = self.m
        if work is None:
            code = self._code
            self.work_left = -1
        else:
            left = operator.index(work)
            if left < 0:
                raise UsageError(f"work must be None (no budget) or at least 0, got {left}")
            self.work_left = left
            code = self._charged_code()
        n = len(code)
        if fuel is None:
            budget = -1
        else:
            budget = operator.index(fuel)
            if budget < 0:
                raise UsageError(f"fuel must be None (no budget) or at least 0, got {budget}")
        if budget == 0:
            return self._fuel_trap(0)
        if self._cx is not None and self._cx.enters:
            loop = _ready()
            if loop is not None:      # until the compiled loop is loaded, the interpreter runs
                return self._run_compiled(loop, budget, stop_on_yield, host, code)
        executed = 0
        pc = m.pc
        try:
            if budget < 0:
                # the common case, kept lean: no fuel test per instruction
                while True:
                    pc = m.pc
                    if pc >= n:
                        return ENDED
                    m.pc = pc + 1
                    r = code[pc]()
                    executed += 1
                    if r is not None:
                        done = self._settle(r, stop_on_yield, host)
                        if done is not None:
                            return done
            while True:
                pc = m.pc
                if pc >= n:
                    return ENDED
                m.pc = pc + 1
                r = code[pc]()
                executed += 1
                if r is not None:
                    done = self._settle(r, stop_on_yield, host)
                    if done is not None:
                        return done
                if executed == budget:
                    return self._fuel_trap(executed)
        except Exception as exc:
            return self._failure(exc, pc)
        finally:
            self.steps += executed

    def _run_compiled(self, L: Any, budget: int, stop_on_yield: bool, host: Optional[HostHandler],
                      code: list[Callable[[], Any]]) -> StepResult:
        """The compiled tier's run loop: straight runs of compiled instructions inside one Numba
        call; any other instruction (or a case a kernel leaves to its handler) in Python."""
        m = self.m
        n = len(code)
        kinds, heap, enter, leave, tab, head, uses_input = self._cx.fast
        run = L.ENTRY
        work = self.work_left >= 0
        executed = 0
        pc = m.pc
        try:
            while True:
                pc = m.pc
                if pc >= n:
                    return ENDED
                if kinds[pc] and enter(m, work):
                    inp = m.input
                    if not uses_input:
                        inp, inlen = _NO_INPUT, 0
                    elif type(inp) is np.ndarray and inp.dtype is _I32 and inp.strides == _FLAT:
                        inlen = len(inp)        # exactly the entry's signature (see warm.py)
                    else:
                        inp, inlen = _NO_INPUT, _NOT_LOADED     # load_input runs its handler
                    ls, cs = m.loop_stack, m.call_stack
                    status = run(tab, heap.heap, heap.wheap, inp, inlen, pc, executed, budget,
                                 self.work_left, len(ls), len(cs))
                    pc, executed, _, lsp, csp, _, need, self.work_left, cnt, out, oo, on = head.tolist()
                    if cnt or out or lsp or csp or ls or cs:
                        leave(m, lsp, csp, cnt, out, oo, on)
                    m.pc = pc
                    if status == S_HALT:
                        return HALT
                    if status == S_ENDED:
                        return ENDED
                    if status == S_FUEL:
                        return self._fuel_trap(executed)
                    if status == S_SPACE:
                        heap.grow(need)
                        continue
                    # S_FALLBACK: the handler runs this one instruction
                m.pc = pc + 1
                r = code[pc]()
                executed += 1
                if r is not None:
                    done = self._settle(r, stop_on_yield, host)
                    if done is not None:
                        return done
                if executed == budget:
                    return self._fuel_trap(executed)
        except Exception as exc:
            return self._failure(exc, pc)
        finally:
            self.steps += executed

    def _settle(self, r: Any, stop_on_yield: bool, host: Optional[HostHandler]) -> Optional[StepResult]:
        """What a non-None handler result means for a run loop: the result that ends the run, or
        None to go on (BREAK; a yield the host served). Only called off the common path."""
        if r is BREAK:
            return None
        if isinstance(r, StepResult):         # HALT, or a result a handler built
            return r
        if stop_on_yield:
            return StepResult(Status.YIELD, op=r, pc=self.m.pc)
        if host is not None and not host(r, self.m):
            return HALT
        return None

    def _fuel_trap(self, executed: int) -> StepResult:
        pc = self.m.pc
        return StepResult(Status.TRAP, message=f"fuel exhausted after {executed} instructions", pc=pc,
                          kind="fuel")

    def run(self, fuel: Optional[int] = None, work: Optional[int] = None) -> StepResult:
        """Run until halt, end, error or trap. Yields are skipped, as in the reference's ``run``;
        use :meth:`run_until_yield` or :meth:`run_with_host` to serve them.

        ``fuel`` bounds the instructions executed (the reference's step count); ``work`` bounds the
        work units spent (isa/cost.py: elements touched, multiply-adds), a trap of kind "work"
        before an instruction that costs more than is left; :attr:`work_left` holds the rest."""
        if fuel is None and work is None and self._cx is not None and self._cx.enters:
            loop = _ready()
            if loop is not None:          # the common tick: straight to the compiled run loop
                self.work_left = -1
                return self._run_compiled(loop, -1, False, None, self._code)
        return self._run(fuel, False, None, work)

    def run_until_yield(self, fuel: Optional[int] = None, work: Optional[int] = None) -> StepResult:
        """Run until halt, end, error, trap or the first yield (returned with its DomainOp)."""
        return self._run(fuel, True, None, work)

    def run_with_host(self, handler: HostHandler, fuel: Optional[int] = None,
                      work: Optional[int] = None) -> StepResult:
        """Run, handing each yielded DomainOp to ``handler(op, machine)``; it returns True to
        continue or False to halt. A :class:`~ternsig.errors.HostError` it raises becomes a trap."""
        return self._run(fuel, False, handler, work)

    def forward_i32(self, values: Iterable[int], fuel: Optional[int] = None) -> list[int]:
        """pc = 0, load raw input, run; raise :class:`Trap` on failure; return the output."""
        self.m.pc = 0
        self.m.set_input(values if isinstance(values, (list, tuple, np.ndarray)) else list(values))
        self.run(fuel).raise_for_trap()
        return self.m.output.tolist()

    def forward(self, values: Iterable[int], fuel: Optional[int] = None) -> list[int]:
        """Like :meth:`forward_i32` with the output saturated to signals (±255)."""
        out = self.forward_i32(values, fuel)
        return np.clip(np.asarray(out, dtype=np.int64), -255, 255).tolist()
