"""The compiled tier's side of the machine: a flat int32 heap whose slices *are* the registers.

Every register the compiled loop uses is a :class:`HeapBuffer` over a view of the heap, so Python
handlers and hosts read (and may write) the same memory the loop uses, and a run copies nothing in
or out: the loop writes a register in place when its view keeps offset, length and shape, and only
a changed register gets a new view object. A slot whose array Python code has read (``data``,
``view()``, ``_a``) is never written again by the loop (it moves the register to a fresh slot), so
an array someone holds stays as immutable as the interpreter tier's. On entry a register is copied
in only when a Python handler replaced it.
"""
from __future__ import annotations

from operator import itemgetter
from typing import Any, Callable, Optional

import numpy as np

from ..state import HotBuffer, Machine
from . import loop as L

_new_hot = object.__new__
_A = HotBuffer._a          # the slot descriptor: reads through it do not count as exposing
_I32 = np.dtype(np.int32)
NHOT = L.NHOT              # 64 hot registers, the input, the output
#: unwritten heap words hold this, so a kernel reading a slot it has not written shows up in tests
_POISON = -0x5A5A5A5B


class HeapBuffer(HotBuffer):
    """A hot register whose values live in a compiled heap slot.

    Reading its array marks the slot exposed (the loop then writes the register elsewhere), so the
    array a caller got never changes under it; replacing the array makes the heap re-check the
    machine's registers on the next entry."""

    __slots__ = ("_rt", "_r", "_owner")

    @property                               # type: ignore[override]
    def _a(self) -> np.ndarray:
        self._rt[self._r, 4] = 0
        return _A.__get__(self)

    @_a.setter
    def _a(self, value: Any) -> None:
        _A.__set__(self, value)
        self._owner.stale = True

    def __len__(self) -> int:
        return len(_A.__get__(self))

    def peek(self) -> np.ndarray:             # read now, not kept: nothing is exposed
        return _A.__get__(self)

    def ints(self) -> list[int]:              # a fresh list: nothing is exposed
        return _A.__get__(self).tolist()

    def copy(self) -> HotBuffer:
        return HotBuffer(_A.__get__(self).copy(), self.shape)


def _heap_buffer(owner: "Heap", rt: np.ndarray, r: int, v: np.ndarray, shape: tuple[int, ...]) -> HeapBuffer:
    h = _new_hot(HeapBuffer)
    _A.__set__(h, v)
    h._t = None
    h.shape = shape
    h._rt = rt
    h._r = r
    h._owner = owner
    return h


def _picker(used: tuple[int, ...]) -> Callable[[list], tuple]:
    if len(used) == 1:
        r = used[0]
        return lambda hot: (hot[r],)
    if not used:
        return lambda hot: ()
    return itemgetter(*used)


class Heap:
    """Registers of one machine laid out for :func:`loop.run`."""

    def __init__(self, ncode: int = 0, size: int = 1 << 14):
        self.heap = np.full(size, _POISON, np.int32)
        #: every int64 table in one array (loop.T_* layout), so a run unboxes four arrays
        tab = self.tab = np.zeros(L.T_CODE + 10 * ncode, np.int64)
        self.st = tab[L.T_ST:L.T_ST + 16]
        self.rt = tab[L.T_RT:L.T_DIRTY].reshape(NHOT, 8)
        self.dirty = tab[L.T_DIRTY:L.T_CT]
        self.ct = tab[L.T_CT:L.T_CLEN].reshape(64, 5)
        self.clen = tab[L.T_CLEN:L.T_LS]        # cold lengths at the work-counted indices
        self.lstack = tab[L.T_LS:L.T_CS].reshape(L.STACK_CAP, 2)
        self.cstack = tab[L.T_CS:L.T_CODE]
        self.code = tab[L.T_CODE:].reshape(ncode, 10)
        self._clear_rt()
        self.wheap = np.zeros(1 << 12, np.int32)
        self.ct[:, 4] = 1
        self.wtop = 0
        self.wkeys: list[Any] = [None] * 64
        self.st[7] = -1
        self.mine: list[Optional[HotBuffer]] = [None] * 64
        self.views: list[Optional[np.ndarray]] = [None] * 64
        self.shapes: list[Any] = [None] * 64
        self._hot_used: tuple[int, ...] = ()
        self._pick = _picker(())
        #: the machine's registers at hot_used as the heap last saw them (identity compared)
        self.seen: Optional[tuple] = None
        #: a HeapBuffer's array was replaced: re-check every register on the next entry
        self.stale = True
        self.cold_used: tuple[int, ...] = ()
        self.cost_cold: tuple[int, ...] = ()     # indices whose cold length the work count reads
        #: the output slot's view as last copied out (a tick copies it without slicing again)
        self._out_o = self._out_n = -1
        self._out_v = self.heap[:0]

    def _clear_rt(self) -> None:
        rt = self.rt
        rt[:] = 0
        rt[:, 1] = -1
        rt[:, 5:8] = -2

    @property
    def hot_used(self) -> tuple[int, ...]:
        return self._hot_used

    @hot_used.setter
    def hot_used(self, used: tuple[int, ...]) -> None:
        self._hot_used = tuple(used)
        self._pick = _picker(self._hot_used)
        self.stale = True

    # ---- registers in ------------------------------------------------------------------------
    def grow(self, need: int) -> None:
        """A fresh heap sized for the live registers plus ``need``; every register is copied in
        again on the next entry (views of the old heap stay valid: they keep it alive)."""
        live = sum(int(x) for x in self.rt[:, 1] if x > 0)
        self.heap = np.full(max(1 << 14, 4 * (need + live) + 1024), _POISON, np.int32)
        self.st[5] = 0
        self._out_o = self._out_n = -1
        # HeapBuffers of the old heap may still clear a row's writable flag here: that only
        # makes the loop move that register once more
        self._clear_rt()
        self.mine = [None] * 64
        self.views = [None] * 64
        self.stale = True

    def enter(self, m: Machine, work: bool = False) -> bool:
        """Make the heap hold the machine's current registers and cold weights (nothing to do for
        registers that are still the heap's own views) and the loop stack's contents; False when
        a stack is deeper than the loop's tables (the handler runs the instruction)."""
        if self.stale or self._pick(m.hot) != self.seen:
            if not self._enter_hot(m):
                return self.enter(m, work)
        self._enter_cold(m)
        if work:
            clen, cold = self.clen, m.cold
            for r in self.cost_cold:
                w = cold[r]
                clen[r] = len(w) if w is not None else 0
        ls = m.loop_stack
        if ls:
            if len(ls) > L.STACK_CAP:
                return False
            self.lstack[:len(ls)] = ls
        cs = m.call_stack
        if cs:
            if len(cs) > L.STACK_CAP:
                return False
            self.cstack[:len(cs)] = cs
        return True

    def _enter_hot(self, m: Machine) -> bool:
        """Copy in every used register that is not the heap's own view; False when the heap had
        to grow first (the caller enters again)."""
        rt = self.rt
        hot = m.hot
        mine, views = self.mine, self.views
        todo = []
        need = 0
        for r in self._hot_used:
            h = hot[r]
            if h is None:
                rt[r, 1] = -1
                rt[r, 5:8] = -2
                mine[r] = None
                continue
            if h is mine[r] and _A.__get__(h) is views[r]:
                continue
            mine[r] = None
            t = h._t
            if t is not None:
                data = np.array(t, np.int32)
            else:
                data = _A.__get__(h)
                if data.dtype != _I32:
                    rt[r, 1] = -2           # not int32: only the Python handlers touch it
                    rt[r, 5:8] = -2
                    continue
            todo.append((r, data, h.shape))
            if not (rt[r, 4] == 1 and len(data) <= rt[r, 2]):
                need += len(data)
        st = self.st
        if int(st[5]) + need > len(self.heap):
            self.grow(need)
            return False
        heap = self.heap
        for r, data, shape in todo:
            n = len(data)
            if rt[r, 4] == 1 and n <= rt[r, 2]:
                o = int(rt[r, 0])
            else:
                o = int(st[5])
                st[5] = o + n
                rt[r, 0] = o
                rt[r, 2] = n
                rt[r, 4] = 1
            heap[o:o + n] = data
            rt[r, 1] = n
            self._bind(hot, r, o, n, shape)
        self.seen = self._pick(hot)
        self.stale = False
        return True

    def _bind(self, hot: list, r: int, o: int, n: int, shape: tuple[int, ...]) -> None:
        """Register ``r`` lives at ``heap[o:o + n]`` with ``shape``: record that in the tables and
        give the machine a fresh view of it."""
        rt = self.rt
        s = -1 if shape == (n,) else r
        self.shapes[r] = shape
        rt[r, 3] = s
        rt[r, 5] = o
        rt[r, 6] = n
        rt[r, 7] = s
        v = self.heap[o:o + n]
        hot[r] = self.mine[r] = _heap_buffer(self, rt, r, v, shape)
        self.views[r] = v

    def _enter_cold(self, m: Machine) -> None:
        ct = self.ct
        for r in self.cold_used:
            w = m.cold[r]
            if w is None:
                ct[r, 4] = 1
                self.wkeys[r] = None
                continue
            key = self.wkeys[r]
            if (key is not None and key[0] is w and key[1] is w.pol and key[2] is w.mag and key[3] is w.shape
                    and key[4] == w.version and key[5] is w.temps and key[6] is w.usage):
                continue
            vals = w.values()
            n = len(vals)
            if self.wtop + n > len(self.wheap):
                # a fresh weight heap: every cold register is copied in again
                self.wheap = np.zeros(max(2 * len(self.wheap), 4 * n + 1024), np.int32)
                self.wtop = 0
                self.wkeys = [None] * 64
                return self._enter_cold(m)
            o = self.wtop
            self.wheap[o:o + n] = vals
            self.wtop = o + n
            shape = w.shape
            flags = (2 if w.temps is not None else 0) | (4 if w.usage is not None else 0) | (8 if len(shape) < 2 else 0)
            ct[r, 0] = o
            ct[r, 1] = n
            ct[r, 2] = int(shape[0]) if len(shape) >= 2 else 0
            ct[r, 3] = int(shape[1]) if len(shape) >= 2 else 0
            ct[r, 4] = flags
            self.wkeys[r] = (w, w.pol, w.mag, w.shape, w.version, w.temps, w.usage)
        # other cold registers keep a stale key: a rebuilt wheap invalidates them all (above)

    # ---- registers out ----------------------------------------------------------------------
    def leave(self, m: Machine, lsp: int, csp: int, cnt: int, out: int, out_o: int = 0, out_n: int = 0) -> None:
        """After a run (``lsp, csp, cnt, out, out_o, out_n`` read from ``st``): give registers whose view changed
        (offset, length, shape) a new view; copy the output out if written; stacks back to lists."""
        dirty = self.dirty
        if out:
            if out_o != self._out_o or out_n != self._out_n:
                self._out_o, self._out_n = out_o, out_n
                self._out_v = self.heap[out_o:out_o + out_n]
            m.output = self._out_v.copy()
        if cnt:
            rt = self.rt
            hot, shapes = m.hot, self.shapes
            regs = dirty[L.NDIRTY + 1:L.NDIRTY + 1 + cnt]
            done = []
            for r, (o, n, _, s) in zip(regs.tolist(), rt[regs, :4].tolist()):
                # shapes as recorded before this run (shapes[] is updated below, all at once)
                done.append((r, o, n, (n,) if s == -1 else (-2 - s,) if s < 0 else shapes[s]))
            for r, o, n, shape in done:
                self._bind(hot, r, o, n, shape)
            dirty[regs] = 0
            dirty[L.NDIRTY] = 0
            self.seen = self._pick(hot)
        ls = m.loop_stack
        if lsp or ls:
            ls[:] = self.lstack[:lsp].tolist()
        cs = m.call_stack
        if csp or cs:
            cs[:] = self.cstack[:csp].tolist()
