"""Core system and control-flow handlers: nop, halt, reset, loops, jumps, calls, branches."""
from __future__ import annotations

from ...errors import LimitFault
from ...vm.results import BREAK, HALT
from ...vm.state import MAX_STACK_DEPTH
from .table import CORE


@CORE.implements("nop")
def nop(m, a, b, c, d):
    return None


@CORE.implements("halt")
def halt(m, a, b, c, d):
    return HALT


@CORE.implements("reset")
def reset(m, a, b, c, d):
    m.pc = 0
    m.loop_stack.clear()


@CORE.implements("loop")
def loop(m, a, b, c, d):
    count = (c << 8) | d
    if count > 0:
        if len(m.loop_stack) >= MAX_STACK_DEPTH:
            raise LimitFault(f"loop stack full ({MAX_STACK_DEPTH} open loops): a loop entered again and again "
                             f"without end_loop")
        m.loop_stack.append([m.pc, count])


@CORE.implements("end_loop")
def end_loop(m, a, b, c, d):
    st = m.loop_stack
    if st:
        top = st[-1]
        top[1] -= 1
        if top[1] > 0:
            m.pc = top[0]
        else:
            st.pop()


@CORE.implements("break")
def break_(m, a, b, c, d):
    if m.loop_stack:
        m.loop_stack.pop()
    m.pc += 1
    return BREAK


@CORE.implements("jump")
def jump(m, a, b, c, d):
    m.pc = (c << 8) | d


@CORE.implements("call")
def call(m, a, b, c, d):
    if len(m.call_stack) >= MAX_STACK_DEPTH:
        raise LimitFault(f"call stack full ({MAX_STACK_DEPTH} nested calls)")
    m.call_stack.append(m.pc)
    m.pc = (c << 8) | d


@CORE.implements("return")
def return_(m, a, b, c, d):
    if not m.call_stack:
        return HALT
    m.pc = m.call_stack.pop()


def _all_zero(m, a) -> bool:
    # the reference indexes hot registers by the raw byte: any non-hot byte reads as missing
    if a >= 64:
        return True
    h = m.hot[a]
    if h is None:
        return True
    t = h._t
    return not any(t) if t is not None else not h._a.any()


@CORE.implements("if_zero")
def if_zero(m, a, b, c, d):
    if _all_zero(m, a):
        m.pc = (c << 8) | d


@CORE.implements("if_nonzero")
def if_nonzero(m, a, b, c, d):
    if not _all_zero(m, a):
        m.pc = (c << 8) | d
