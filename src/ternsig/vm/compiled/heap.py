"""The compiled tier's side of the machine: a flat int32 heap whose slices *are* the registers.

After a compiled call every register it wrote is a :class:`HotBuffer` over a view of the heap, so
Python handlers and hosts read (and may write) the same memory the loop uses. A slot handed out as
a view is never written again by the loop (it allocates a fresh slot), so arrays stay as immutable
as the interpreter's. On entry a register is copied in only when a Python handler replaced it.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..state import HotBuffer, Machine
from . import loop as L

_new_hot = object.__new__
_I32 = np.dtype(np.int32)
NHOT = 66                 # 64 hot registers, the input, the output
_ROWS = np.arange(NHOT, dtype=np.int64)
#: unwritten heap words hold this, so a kernel reading a slot it has not written shows up in tests
_POISON = -0x5A5A5A5B


class Heap:
    """Registers of one machine laid out for :func:`loop.run`."""

    def __init__(self, size: int = 1 << 14):
        self.heap = np.full(size, _POISON, np.int32)
        self.rt = np.zeros((NHOT, 5), np.int64)
        self.rt[:, 1] = -1
        self.dirty = np.zeros(2 * NHOT + 1, np.int64)
        self.wheap = np.zeros(1 << 12, np.int32)
        self.ct = np.zeros((64, 5), np.int64)
        self.ct[:, 4] = 1
        self.wtop = 0
        self.wkeys: list[Any] = [None] * 64
        self.lstack = np.zeros((64, 2), np.int64)
        self.cstack = np.zeros(64, np.int64)
        self.st = np.zeros(8, np.int64)
        self.st[7] = -1
        self.clen = np.zeros(64, np.int64)      # cold lengths at the work-counted indices
        self.mine: list[Optional[HotBuffer]] = [None] * 64
        self.views: list[Optional[np.ndarray]] = [None] * 64
        self.shapes: list[Any] = [None] * 64
        self.input_src: Optional[np.ndarray] = None
        self.hot_used: tuple[int, ...] = ()
        self.cold_used: tuple[int, ...] = ()
        self.cost_cold: tuple[int, ...] = ()     # indices whose cold length the work count reads

    # ---- registers in ------------------------------------------------------------------------
    def grow(self, need: int) -> None:
        """A fresh heap sized for the live registers plus ``need``; every register is copied in
        again on the next entry (views of the old heap stay valid: they keep it alive)."""
        live = sum(int(x) for x in self.rt[:, 1] if x > 0)
        self.heap = np.full(max(1 << 14, 4 * (need + live) + 1024), _POISON, np.int32)
        self.st[5] = 0
        self.rt[:, 1] = -1
        self.rt[:, 4] = 0
        self.input_src = None
        self.mine = [None] * 64
        self.views = [None] * 64

    def enter(self, m: Machine, uses_input: bool) -> None:
        """Make the heap hold the machine's current registers, stacks and input."""
        rt = self.rt
        hot = m.hot
        mine, views, shapes = self.mine, self.views, self.shapes
        todo = []
        need = 64
        for r in self.hot_used:
            h = hot[r]
            if h is None:
                rt[r, 1] = -1
                mine[r] = None
                continue
            shapes[r] = h.shape
            if h is mine[r] and h._a is views[r]:
                continue
            mine[r] = None
            t = h._t
            if t is not None:
                data = np.array(t, np.int32)
            elif h._a.dtype == _I32:
                data = h._a
            else:
                rt[r, 1] = -2           # not int32: only the Python handlers touch it
                continue
            todo.append((r, data))
            need += len(data)
        inp = m.input
        if uses_input:
            if inp.dtype == _I32 and len(inp) <= L.MAX_ELEMENTS:
                o, n = int(rt[L.INPUT, 0]), int(rt[L.INPUT, 1])
                if not (inp is self.input_src and n == len(inp) and np.array_equal(self.heap[o:o + n], inp)):
                    todo.append((L.INPUT, inp))       # a new (or changed) input: copy it in
                    need += len(inp)
                    self.input_src = inp
            else:
                rt[L.INPUT, 1] = L.MAX_ELEMENTS + 1     # load_input falls back to the handler
        st = self.st
        if int(st[5]) + need > len(self.heap):
            self.grow(need)
            return self.enter(m, uses_input)
        heap = self.heap
        top = int(st[5])
        for r, data in todo:
            n = len(data)
            heap[top:top + n] = data
            rt[r, 0] = top
            rt[r, 1] = n
            rt[r, 2] = n
            top += n
        st[5] = top
        rt[:, 4] = 0
        rt[:, 3] = _ROWS
        self._enter_cold(m)
        clen, cold = self.clen, m.cold
        for r in self.cost_cold:
            w = cold[r]
            clen[r] = len(w) if w is not None else 0
        ls = m.loop_stack
        if ls:
            if len(ls) > len(self.lstack):
                self.lstack = np.zeros((2 * len(ls), 2), np.int64)
            for i, (s, c) in enumerate(ls):
                self.lstack[i, 0] = s
                self.lstack[i, 1] = c
        cs = m.call_stack
        if cs:
            if len(cs) > len(self.cstack):
                self.cstack = np.zeros(2 * len(cs), np.int64)
            self.cstack[:len(cs)] = cs
        st[3] = len(ls)
        st[4] = len(cs)

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
    def leave(self, m: Machine) -> None:
        """Hand the registers the loop wrote back to the machine as views; stacks back to lists."""
        dirty = self.dirty
        cnt = int(dirty[L.NDIRTY])
        if cnt:
            heap = self.heap
            hot, mine, views, shapes = m.hot, self.mine, self.views, self.shapes
            regs = dirty[L.NDIRTY + 1:L.NDIRTY + 1 + cnt]
            for r, (o, n, _, s, _) in zip(regs.tolist(), self.rt[regs].tolist()):
                if r == L.OUTPUT:
                    m.output = heap[o:o + n].copy()
                    continue
                v = heap[o:o + n]
                h = _new_hot(HotBuffer)
                h._a = v
                h._t = None
                h.shape = (n,) if s < 0 else shapes[s]
                hot[r] = h
                mine[r] = h
                views[r] = v
            dirty[regs] = 0
            dirty[L.NDIRTY] = 0
        st = self.st
        lsp = int(st[3])
        ls = m.loop_stack
        if lsp or ls:
            ls[:] = self.lstack[:lsp].tolist()
        csp = int(st[4])
        cs = m.call_stack
        if csp or cs:
            cs[:] = self.cstack[:csp].tolist()
