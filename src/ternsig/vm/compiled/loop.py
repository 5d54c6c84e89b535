"""The compiled run loop: one Numba function over a decoded code array and a flat int32 heap.

It is generic (the same machine code for every program: a hot reload only re-decodes) and small
(the instructions brains run every tick). It executes an instruction only when it can do so
exactly as the Python handler would; anything else — an unknown kernel id, a missing register
(the handler raises the reference's error), a register the heap cannot represent, a full stack —
makes it stop *before* that instruction with status FALLBACK, so the Python handler runs it.

Layout (all int64 tables, rows indexed by register):

* ``code[pc] = (kernel, a, b, c, d, cd)`` — raw operand bytes, masked here as each handler masks.
* ``rt[r] = (offset, length, capacity, shape_of, writable, view offset, view length, view shape_of)``
  for hot registers 0..63, the input (64) and the output (65). ``length`` -1: unallocated; -2: not
  representable (never touched here). ``shape_of``: register whose recorded shape the value has,
  -1 for ``(length,)``, ``-2 - k`` for ``(k,)``. ``writable``: the slot may be written in place — the machine's register is
  a view of it that no Python code has read the array of (heap.HeapBuffer clears the flag when it
  does, so an array someone holds is never changed under them). The ``view`` columns describe the
  view the machine holds; a write that changes offset, length or shape marks the register dirty
  so the Python side builds a new view (a write in place that keeps them needs nothing).
* ``ct[r] = (offset, length, rows, cols, flags)`` for cold registers: signed weights in ``wheap``;
  flags: 1 missing, 2 temperatures, 4 usage tracking, 8 not 2-D.
* ``dirty``: flags per register whose view must be rebuilt, then their count and list; the
  output's flag says only that it was written.
* ``st = (pc, executed, budget, loop depth, call depth, heap top, space needed, work left, dirty
  count, output written, output offset, output length)`` (the last four copied out of ``dirty``
  and ``rt`` so the caller reads one list);
  work left is -1 without a work budget. ``code[pc, 6:10]`` are the register indices the instruction's
  work is counted over (isa/cost.work_slots, -1 unused); ``clen[r]`` the length of cold register r
  for those indices. A kernel is charged the larger of hot and cold length per index, measured
  before it runs, once it completes; when that is more than is left it stops with FALLBACK so the
  interpreter's wrapper (vm/work.py) raises the same trap.
"""
from __future__ import annotations

import numpy as np
from numba import njit

# kernel ids (0 = no compiled kernel: the Python handler runs the instruction)
FALLBACK_ID = 0
NOP, HALT, RESET, LOOP, END_LOOP, BREAK, JUMP, CALL, RETURN, IF_ZERO, IF_NONZERO = range(1, 12)
LOAD_INPUT, STORE_OUTPUT, COPY_REG, ZERO_REG, SET = range(12, 17)
ADD, SUB, MUL, RELU, SIGMOID, SHIFT, CLAMP, CMP_GT, MAX_REDUCE, TERNARY_MATMUL = range(17, 27)

# exit statuses (defined beside resolve_tier, so the run loop in Python reads them without Numba)
from . import S_ENDED, S_FALLBACK, S_FUEL, S_HALT, S_SPACE  # noqa: E402,F401

INPUT, OUTPUT = 64, 65
#: run_packed's compiled entry without type dispatch (set by warm.py once it is loaded)
ENTRY = None
#: ``dirty[r]`` flags registers written; ``dirty[NDIRTY]`` counts them, listed after it
NDIRTY = 66
I32_MAX = 2147483647
I32_MIN = -2147483648
#: registers may not grow past this (vm.state.MAX_REGISTER_ELEMENTS); the handler traps
MAX_ELEMENTS = 1 << 22

# The int64 tables live in one array (``Heap.tab``) so a run passes four arrays (Numba unboxes
# each argument on every call): ``st`` (16), ``rt``, ``dirty``, ``ct``, ``clen``, the loop and
# call stacks (as deep as the handlers allow: MAX_STACK_DEPTH), then the code rows.
NHOT = 66
STACK_CAP = 1024           # vm.state.MAX_STACK_DEPTH: a push past it falls back (the handler traps)
T_ST = 0
T_RT = 16
T_DIRTY = T_RT + NHOT * 8
T_CT = T_DIRTY + 2 * NHOT + 1
T_CLEN = T_CT + 64 * 5
T_LS = T_CLEN + 64
T_CS = T_LS + 2 * STACK_CAP
T_CODE = T_CS + STACK_CAP


@njit(cache=True)
def _dest(rt, st, heap, r, n):
    """Offset where register ``r`` receives ``n`` values, or -1 when the heap is full."""
    if rt[r, 4] == 1 and n <= rt[r, 2]:
        return rt[r, 0]
    top = st[5]
    if top + n > heap.shape[0]:
        st[6] = n
        return -1
    st[5] = top + n
    rt[r, 0] = top
    rt[r, 2] = n
    rt[r, 4] = 1
    return top


@njit(cache=True)
def _set(rt, dirty, r, n, shape_of):
    rt[r, 1] = n
    rt[r, 3] = shape_of
    if r == OUTPUT:
        dirty[OUTPUT] = 1       # copied out on every exit that wrote it (callers keep the output)
        return
    if rt[r, 0] == rt[r, 5] and n == rt[r, 6] and shape_of == rt[r, 7]:
        return                  # written in place: the machine's view already shows it
    if dirty[r] == 0:
        dirty[r] = 1
        cnt = dirty[NDIRTY]
        dirty[NDIRTY + 1 + cnt] = r
        dirty[NDIRTY] = cnt + 1


@njit(cache=True)
def _sat(v):
    if v > I32_MAX:
        return I32_MAX
    if v < I32_MIN:
        return I32_MIN
    return v


@njit(cache=True)
def run(code, heap, rt, dirty, wheap, ct, lstack, cstack, st, clen, inp):
    """Run from ``st[0]`` until an exit status; ``st`` is updated in place."""
    n = code.shape[0]
    pc = st[0]
    executed = st[1]
    budget = st[2]
    lsp = st[3]
    csp = st[4]
    work = st[7]
    status = S_FALLBACK
    while True:
        if pc >= n:
            status = S_ENDED
            break
        w = 0
        if work >= 0:
            unknown = False
            for j in range(6, 10):
                r = code[pc, j]
                if r < 0:
                    break
                hl = rt[r, 1]
                if hl == -2:
                    unknown = True
                    break
                cl = clen[r]
                w += hl if hl > cl else cl
            if unknown or w > work:
                status = S_FALLBACK              # the Python wrapper charges (or traps) exactly
                break
        k = code[pc, 0]
        a = code[pc, 1]
        b = code[pc, 2]
        c = code[pc, 3]
        d = code[pc, 4]
        nxt = pc + 1
        halt = False
        if k == NOP:
            pass
        elif k == HALT:
            halt = True
        elif k == RESET:
            nxt = 0
            lsp = 0
        elif k == LOOP:
            cnt = code[pc, 5]
            if cnt > 0:
                if lsp >= lstack.shape[0]:
                    status = S_FALLBACK
                    break
                lstack[lsp, 0] = nxt
                lstack[lsp, 1] = cnt
                lsp += 1
        elif k == END_LOOP:
            if lsp > 0:
                lstack[lsp - 1, 1] -= 1
                if lstack[lsp - 1, 1] > 0:
                    nxt = lstack[lsp - 1, 0]
                else:
                    lsp -= 1
        elif k == BREAK:
            if lsp > 0:
                lsp -= 1
            nxt = pc + 2
        elif k == JUMP:
            nxt = code[pc, 5]
        elif k == CALL:
            if csp >= cstack.shape[0]:
                status = S_FALLBACK
                break
            cstack[csp] = nxt
            csp += 1
            nxt = code[pc, 5]
        elif k == RETURN:
            if csp == 0:
                halt = True
            else:
                csp -= 1
                nxt = cstack[csp]
        elif k == IF_ZERO or k == IF_NONZERO:
            zero = True
            if a < 64:
                ln = rt[a, 1]
                if ln == -2:
                    status = S_FALLBACK
                    break
                off = rt[a, 0]
                for i in range(ln):
                    if heap[off + i] != 0:
                        zero = False
                        break
            if zero == (k == IF_ZERO):
                nxt = code[pc, 5]
        elif k == LOAD_INPUT:
            ln = rt[INPUT, 1]
            if ln > MAX_ELEMENTS:
                status = S_FALLBACK
                break
            r = a & 0x3F
            o = _dest(rt, st, heap, r, ln)
            if o < 0:
                status = S_SPACE
                break
            dst = heap[o:o + ln]
            for i in range(ln):
                dst[i] = inp[i]
            _set(rt, dirty, r, ln, -1)
        elif k == STORE_OUTPUT:
            r = b & 0x3F
            ln = rt[r, 1]
            if ln == -2:
                status = S_FALLBACK
                break
            if ln >= 0:
                o = _dest(rt, st, heap, OUTPUT, ln)
                if o < 0:
                    status = S_SPACE
                    break
                s = rt[r, 0]
                dst = heap[o:o + ln]
                src = heap[s:s + ln]
                for i in range(ln):
                    dst[i] = src[i]
                _set(rt, dirty, OUTPUT, ln, -1)
        elif k == COPY_REG or k == ZERO_REG:
            if k == COPY_REG:
                ok = (a >> 6) == 0 and (b >> 6) == 0
                src = b
            else:
                ok = (a >> 6) == 0
                src = a
            if ok:
                ln = rt[src, 1]
                if ln == -2:
                    status = S_FALLBACK
                    break
                if ln >= 0:
                    shp = rt[src, 3]
                    s = rt[src, 0]
                    o = _dest(rt, st, heap, a, ln)
                    if o < 0:
                        status = S_SPACE
                        break
                    dst = heap[o:o + ln]
                    if k == COPY_REG:
                        src = heap[s:s + ln]
                        for i in range(ln):
                            dst[i] = src[i]
                    else:
                        for i in range(ln):
                            dst[i] = 0
                    _set(rt, dirty, a, ln, shp)
        elif k == SET:
            r = a & 0x3F
            o = _dest(rt, st, heap, r, 1)
            if o < 0:
                status = S_SPACE
                break
            heap[o] = code[pc, 5]
            _set(rt, dirty, r, 1, -1)
        elif k == ADD:
            if (b >> 6) == 0 and (c >> 6) <= 1:
                ls = rt[b, 1]
                if ls < 0:
                    status = S_FALLBACK          # "Source not allocated" (or not representable)
                    break
                ci = c & 0x0F
                if (c >> 6) == 0:
                    lo = rt[ci, 1]
                else:
                    lo = ct[ci, 1]
                    if ct[ci, 4] & 1:
                        lo = -1
                if lo < 0:
                    status = S_FALLBACK          # "Other/Bias not allocated"
                    break
                shp = rt[b, 3]
                so = rt[b, 0]
                oo = rt[ci, 0] if (c >> 6) == 0 else ct[ci, 0]     # read before _dest moves A
                r = a & 0x3F
                o = _dest(rt, st, heap, r, ls)
                if o < 0:
                    status = S_SPACE
                    break
                m = min(ls, lo)
                dst = heap[o:o + ls]
                src = heap[so:so + ls]
                if (c >> 6) == 0:
                    oth = heap[oo:oo + m]
                    for i in range(m):
                        dst[i] = _sat(np.int64(src[i]) + np.int64(oth[i]))
                else:
                    bias = wheap[oo:oo + m]
                    for i in range(m):
                        dst[i] = _sat(np.int64(src[i]) + np.int64(bias[i]) * 255)
                for i in range(m, ls):
                    dst[i] = src[i]
                _set(rt, dirty, r, ls, shp)
        elif k == SUB or k == MUL or k == CMP_GT:
            bi = b & 0x3F
            ci = c & 0x0F
            ls = rt[bi, 1]
            lo = rt[ci, 1]
            if ls < 0 or lo < 0:
                status = S_FALLBACK
                break
            m = min(ls, lo)
            shp = rt[bi, 3]
            if shp == -1 and m != ls:
                shp = -2 - ls                    # the source's flat shape, not the result's length
            so = rt[bi, 0]
            oo = rt[ci, 0]
            r = a & 0x3F
            o = _dest(rt, st, heap, r, m)
            if o < 0:
                status = S_SPACE
                break
            dst = heap[o:o + m]
            src = heap[so:so + m]
            oth = heap[oo:oo + m]
            if k == SUB:
                for i in range(m):
                    dst[i] = _sat(np.int64(src[i]) - np.int64(oth[i]))
            elif k == MUL:
                for i in range(m):
                    dst[i] = np.int32((np.int64(src[i]) * np.int64(oth[i])) >> 8)
            else:
                for i in range(m):
                    dst[i] = 255 if src[i] > oth[i] else 0
            _set(rt, dirty, r, m, shp)
        elif k == RELU or k == SIGMOID or k == SHIFT or k == CLAMP or k == MAX_REDUCE:
            bi = b & 0x3F
            ls = rt[bi, 1]
            if ls < 0:
                status = S_FALLBACK
                break
            if k == CLAMP and c > d and ls > 0:
                status = S_FALLBACK              # the reference panics: the handler traps
                break
            shp = rt[bi, 3]
            so = rt[bi, 0]
            r = a & 0x3F
            ln = 1 if k == MAX_REDUCE else ls
            o = _dest(rt, st, heap, r, ln)
            if o < 0:
                status = S_SPACE
                break
            src = heap[so:so + ls]
            dst = heap[o:o + ln]
            if k == RELU:
                for i in range(ls):
                    v = src[i]
                    dst[i] = v if v > 0 else 0
            elif k == SIGMOID:
                gain = np.int64(d if d > 0 else 64)
                for i in range(ls):
                    v = ((np.int64(src[i]) * gain) >> 10) + 128
                    dst[i] = 0 if v < 0 else (255 if v > 255 else v)
            elif k == SHIFT:
                sh = c & 31
                for i in range(ls):
                    dst[i] = src[i] >> sh
            elif k == CLAMP:
                for i in range(ls):
                    v = src[i]
                    dst[i] = c if v < c else (d if v > d else v)
            else:
                best = np.int32(0)
                for i in range(ls):
                    v = src[i]
                    if i == 0 or v > best:
                        best = v
                dst[0] = best
                shp = -1
            _set(rt, dirty, r, ln, shp)
        elif k == TERNARY_MATMUL:
            wi = b & 0x3F
            xi = c & 0x0F
            if ct[wi, 4] != 0 or rt[xi, 1] < 0:
                status = S_FALLBACK              # missing, temperatures, usage, not 2-D
                break
            rows = ct[wi, 2]
            cols = ct[wi, 3]
            lx = rt[xi, 1]
            kk = cols if cols < lx else lx
            if rows > 0 and kk > 0 and (rows - 1) * cols + kk > ct[wi, 1]:
                status = S_FALLBACK              # the reference indexes past the weights: panic
                break
            wo = ct[wi, 0]
            r = a & 0x3F
            if r != xi:
                # registers have disjoint slots: the products go straight to A (no scratch)
                o = _dest(rt, st, heap, r, rows)
                if o < 0:
                    status = S_SPACE
                    break
                xo = rt[xi, 0]
                xv = heap[xo:xo + kk]
                dst = heap[o:o + rows]
                for row in range(rows):
                    s = np.int64(0)
                    base = wo + row * cols
                    wv = wheap[base:base + kk]
                    for i in range(kk):
                        s += np.int64(wv[i]) * np.int64(xv[i])
                    dst[row] = _sat(s)
            else:
                acc = np.zeros(rows, np.int64)
                xo = rt[xi, 0]
                xv = heap[xo:xo + kk]
                for row in range(rows):
                    s = np.int64(0)
                    base = wo + row * cols
                    wv = wheap[base:base + kk]
                    for i in range(kk):
                        s += np.int64(wv[i]) * np.int64(xv[i])
                    acc[row] = s
                o = _dest(rt, st, heap, r, rows)
                if o < 0:
                    status = S_SPACE
                    break
                for row in range(rows):
                    heap[o + row] = _sat(acc[row])
            _set(rt, dirty, r, rows, -1)
        else:
            status = S_FALLBACK
            break
        executed += 1
        if work >= 0:
            work -= w
        pc = nxt
        if halt:
            status = S_HALT
            break
        if executed == budget:
            status = S_FUEL
            break
    st[0] = pc
    st[1] = executed
    st[3] = lsp
    st[4] = csp
    st[7] = work
    st[8] = dirty[NDIRTY]
    st[9] = dirty[OUTPUT]
    st[10] = rt[OUTPUT, 0]
    st[11] = rt[OUTPUT, 1]
    return status


@njit(cache=True)
def run_packed(tab, heap, wheap, inp, inlen, pc, executed, budget, work, lsp, csp):
    """:func:`run` over the tables packed in ``tab`` (layout ``T_*`` above): ``inp`` is the
    machine's input (``inlen`` its length, or more than MAX_ELEMENTS when load_input must fall
    back); the scalars start ``st``. Returns the exit status; the rest is in ``tab[:16]``."""
    st = tab[T_ST:T_ST + 16]
    rt = tab[T_RT:T_DIRTY].reshape((NHOT, 8))
    dirty = tab[T_DIRTY:T_CT]
    ct = tab[T_CT:T_CLEN].reshape((64, 5))
    clen = tab[T_CLEN:T_LS]
    lstack = tab[T_LS:T_CS].reshape((STACK_CAP, 2))
    cstack = tab[T_CS:T_CODE]
    code = tab[T_CODE:].reshape(((tab.shape[0] - T_CODE) // 10, 10))
    st[0] = pc
    st[1] = executed
    st[2] = budget
    st[3] = lsp
    st[4] = csp
    st[7] = work
    rt[INPUT, 1] = inlen
    dirty[OUTPUT] = 0           # st[9] says whether this run wrote the output
    return run(code, heap, rt, dirty, wheap, ct, lstack, cstack, st, clen, inp)
