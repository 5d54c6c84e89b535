"""The tensor extension (0x0001): golden cases, edge rules, and the vectorised network ops checked
against straightforward scalar transcriptions of the reference rules (with Rust i64 wrap)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ternsig.extensions import tensor
from ternsig.extensions.tensor_nn import isqrt_newton, rope_table
from ternsig.intmath import I32_MAX, I32_MIN
from ternsig.isa.encoding import Instruction, make_reg
from ternsig.program import Program
from ternsig.vm.interpreter import Interpreter
from ternsig.vm.results import Status
from ternsig.vm.state import ColdBuffer, HotBuffer

from tests.extensions.core.test_ops_forward import GOLDEN, assert_golden, cases

H = lambda i: make_reg(0, i)  # noqa: E731
C = lambda i: make_reg(1, i)  # noqa: E731


def T(op: str, a=0, b=0, c=0, d=0) -> Instruction:
    return Instruction(0x0001, tensor.TABLE.lookup(op).opcode, a, b, c, d)


def run(instrs, hot=None, shapes=None, cold=None):
    it = Interpreter(Program(instructions=list(instrs)))
    for i, vals in (hot or {}).items():
        shape = (shapes or {}).get(i, (len(vals),))
        it.m.hot[i] = HotBuffer(np.asarray(vals, np.int64).astype(np.int32), shape)
    for i, vals in (cold or {}).items():
        v = np.asarray(vals, np.int64)
        it.m.cold[i] = ColdBuffer(np.sign(v).astype(np.int8), np.abs(v).astype(np.uint8), (len(v),))
    return it, it.run()


def hv(it, i):
    return it.m.hot[i].data.tolist()


# ---- golden ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", cases("ext_tensor", "ext_tensor"), ids=lambda p: p.name)
def test_golden_tensor(case: Path, monkeypatch) -> None:
    assert_golden(case, monkeypatch)


def test_rope_table_matches_the_reference() -> None:
    g = json.loads((GOLDEN / "rope_table.json").read_text())
    s, c = rope_table()
    assert s.tolist() == g["sin"] and c.tolist() == g["cos"]


def test_table_has_every_reference_opcode() -> None:
    assert sorted(tensor.TABLE.by_opcode) == list(range(0x1B))
    assert tensor.TABLE.qualified_name == "tvmr.tensor"


# ---- arithmetic edges ----------------------------------------------------------------------------

def test_add_sub_pad_to_the_longer_and_saturate() -> None:
    it, _ = run([T("add", H(2), H(0), H(1)), T("sub", H(3), H(1), H(0))],
                hot={0: [I32_MAX, 1], 1: [5, I32_MIN, 7]})
    assert hv(it, 2) == [I32_MAX, I32_MIN + 1, 7] and it.m.hot[2].shape == (2,)   # src shape kept
    assert hv(it, 3) == [5 - I32_MAX, I32_MIN, 7]


def test_add_cold_bias_times_256_and_other_banks_no_op() -> None:
    it, r = run([T("add", H(2), H(0), C(1)), T("add", H(3), H(0), make_reg(2, 0))],
                hot={0: [I32_MAX - 5, -3, 4]}, cold={1: [1, -2]})
    assert hv(it, 2) == [I32_MAX, -3 - 512, 4] and it.m.hot[3] is None and r.status is Status.ENDED


def test_third_operand_is_not_masked_except_concat() -> None:
    it, _ = run([T("sub", H(2), H(0), H(17)), T("concat", H(3), H(0), H(17))],
                hot={0: [10], 1: [1], 17: [3]})
    assert hv(it, 2) == [7]           # H17 itself
    assert hv(it, 3) == [10, 1]       # concat reads H17 & 0x0F = H1


def test_mul_clamps_scale_truncates() -> None:
    it, _ = run([T("mul", H(2), H(0), H(0)), T("scale", H(3), H(1), 0xFF, 0xFF), T("scale", H(4), H(1), 0, 3)],
                hot={0: [I32_MIN, -16, 3], 1: [I32_MAX, -100, 100]})
    assert hv(it, 2) == [I32_MAX, 1, 0]
    assert hv(it, 3) == [I32_MAX, -100 * 65535 // 256 + 1, 100 * 65535 // 256]
    assert hv(it, 4) == [(I32_MAX * 3) // 256, -1, 1]


def test_clamp_bounds_and_panic() -> None:
    it, _ = run([T("clamp", H(1), H(0), 120, 140)], hot={0: [-5000, 0, 5000]})
    assert hv(it, 1) == [-2048, 0, 3072]
    it, r = run([T("clamp", H(1), H(0), 140, 120)], hot={0: [0]})
    assert r.status is Status.TRAP and r.kind == "panic" and it.m.hot[1] is None


def test_cmp_gt_negate_shift_max() -> None:
    it, _ = run([T("cmp_gt", H(1), H(0), H(2)), T("negate", H(3), H(0)), T("shift", H(4), H(0), 36),
                 T("max_reduce", H(5), H(6))], hot={0: [I32_MIN, 5, 9], 2: [0, 1], 6: []})
    assert hv(it, 1) == [0, 1] and it.m.hot[1].shape == (2,)
    assert hv(it, 3) == [I32_MAX, -5, -9]
    assert hv(it, 4) == [I32_MIN >> 4, 0, 0]
    assert hv(it, 5) == [0]


@pytest.mark.parametrize("op,regs,msg", [
    ("add", (H(2), H(9), H(0)), "H9 not allocated"), ("add", (H(2), H(0), H(9)), "H9 not allocated"),
    ("add", (H(2), H(0), C(9)), "C9 not allocated"), ("concat", (H(2), H(0), H(25)), "H9 not allocated"),
    ("attn", (H(0), H(0), H(8), H(1)), "H8 not allocated"), ("layernorm", (H(8), H(1), 0, 0), "H8 not allocated"),
    ("kv_read", (H(8), 0, H(1), 0), "H8 not allocated"), ("kv_append", (H(1), H(8), 0, 0), "H8 not allocated"),
])
def test_missing_register_texts(op, regs, msg) -> None:
    it, r = run([T(op, *regs)], hot={0: [1, 2]})
    assert r.status is Status.ERROR and r.message == msg


def test_matmul_and_unknown_opcode_errors() -> None:
    _, r = run([T("matmul", H(1), H(0), H(0))], hot={0: [1]})
    assert r.message == "MATMUL not implemented (use ternary.TERNARY_MATMUL)"
    _, r = run([Instruction(0x0001, 0x00FF, 0, 0, 0, 0)])
    assert r.status is Status.ERROR and r.message == "tvmr.tensor: unknown opcode 0x00FF"


# ---- reductions and shape ops ----------------------------------------------------------------------

def test_reduce_avg_sums_in_i32_and_clamps_the_range() -> None:
    it, _ = run([T("reduce_avg", H(1), H(0), 0, 3), T("reduce_avg", H(2), H(0), 1, 200),
                 T("reduce_avg", H(3), H(0), 9, 2), T("reduce_avg", H(4), H(0), 0, 0)],
                hot={0: [I32_MAX, I32_MAX, -7, 1]})
    wrapped = ((2 * I32_MAX - 7 + 2**31) % 2**32) - 2**31          # i32 wrap: -9
    assert hv(it, 1) == [int(wrapped / 3)]
    assert hv(it, 2) == [int((((I32_MAX - 6 + 2**31) % 2**32) - 2**31) / 3)]
    assert hv(it, 3) == [0] and hv(it, 4) == [0]


def test_reduce_mean_dim_shapes_and_short_data() -> None:
    it, _ = run([T("reduce_mean_dim", H(1), H(0), 0), T("reduce_mean_dim", H(2), H(0), 1),
                 T("reduce_mean_dim", H(3), H(5), 0)],
                hot={0: [1, -2, 3, -4, 5], 5: [-3, -4]}, shapes={0: (2, 3)})
    assert hv(it, 1) == [int((1 - 4) / 2), int((-2 + 5) / 2), int(3 / 2)] and it.m.hot[1].shape == (3,)
    assert hv(it, 2) == [int(2 / 3), int(1 / 3)] and it.m.hot[2].shape == (2,)
    assert hv(it, 3) == [-3]


def test_slice_argmax_concat_copies() -> None:
    it, _ = run([T("slice", H(1), H(0), 2, 9), T("slice", H(2), H(0), 9, 2), T("argmax", H(3), H(0)),
                 T("argmax", H(4), H(2)), T("concat", H(5), H(6), H(7)), T("concat", H(8), H(6), H(0)),
                 T("squeeze", H(9), H(0)), T("transpose", H(10), H(33))],
                hot={0: [4, 9, 1, 9, 0], 6: [1, 2, 3, 4], 7: [5, 6]}, shapes={6: (2, 2), 7: (2, 1)})
    assert hv(it, 1) == [1, 9, 0] and hv(it, 2) == [] and it.m.hot[2].shape == (0,)
    assert hv(it, 3) == [3] and hv(it, 4) == [0]                    # last index of the max; empty → 0
    assert it.m.hot[5].shape == (2, 3) and hv(it, 5) == [1, 2, 3, 4, 5, 6]
    assert it.m.hot[8].shape == (9,)
    assert hv(it, 9) == hv(it, 0) and it.m.hot[9].data is not it.m.hot[0].data
    assert it.m.hot[10] is None


# ---- scalar transcriptions of the reference rules (test oracles) -----------------------------------

def w64(x: int) -> int:
    return ((x + 2**63) % 2**64) - 2**63


def tdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def sat(x: int) -> int:
    return max(I32_MIN, min(I32_MAX, x))


def isqrt_ref(v: int) -> int:
    if v <= 1:
        return v
    x0 = v // 2
    x1 = (x0 + v // x0) // 2
    while abs(x1 - x0) > 1:
        x0 = x1
        x1 = (x0 + v // x0) // 2
    return max(x1, 1)


def ref_norm(data, L, scale, bias, rms=False):
    out = [0] * len(data)
    for r in range(len(data) // L):
        sl = data[r * L:(r + 1) * L]
        mean = 0 if rms else tdiv(sum(sl), L)
        acc = 0
        for v in sl:
            acc = w64(acc + w64((v - mean) * (v - mean)))
        den = isqrt_ref(max(tdiv(acc, L), 1))
        for i, v in enumerate(sl):
            norm = tdiv((v - mean) * 256, den)
            val = tdiv(w64(norm * scale[i]), 255) + (0 if rms else bias[i])
            out[r * L + i] = sat(val)
    return out


def ref_rope(data, L, dim, pos):
    d = list(data)
    apply = min(dim, L)
    if apply < 2:
        return d
    s, c = rope_table()
    for row in range(len(d) // L):
        base = row * L
        for i in range(0, apply, 2):
            idx = (pos + i // 2) % 1024
            x0, x1 = d[base + i], d[base + i + 1]          # IndexError where Rust panics
            d[base + i] = sat(tdiv(x0 * int(c[idx]) - x1 * int(s[idx]), 256))
            d[base + i + 1] = sat(tdiv(x0 * int(s[idx]) + x1 * int(c[idx]), 256))
    return d


def ref_attn(q, qs, k, ks, v, vs):
    def dims(x, shp):
        r = max(shp[0] if shp else 1, 1)
        return r, max(shp[1] if len(shp) > 1 else len(x) // r, 1)
    (qr, qc), (kr, kc), (vr, vc) = dims(q, qs), dims(k, ks), dims(v, vs)
    get = lambda x, i: x[i] if i < len(x) else 0  # noqa: E731
    out = []
    for qi in range(qr):
        sc = []
        for kj in range(kr):
            acc = 0
            for dd in range(qc):
                acc = w64(acc + get(q, qi * qc + dd) * get(k, kj * kc + dd))
            sc.append(acc)
        mx = max(sc)
        e = [max(256 + tdiv(max(-1024, min(1024, w64(s_ - mx))), 256), 1) for s_ in sc]
        tot = max(sum(e), 1)
        for vj in range(vc):
            acc = sum((e[kj] * 255 // tot) * get(v, kj * vc + vj) for kj in range(kr))
            out.append(tdiv(acc, 255))
    return out, (qr, vc)


RNG = np.random.default_rng(1234)


def _rand(n, lo=-3000, hi=3000):
    return RNG.integers(lo, hi, n, endpoint=True).tolist()


@pytest.mark.parametrize("rows,L,extreme", [(1, 4, False), (3, 5, False), (4, 8, True), (2, 1, False), (3, 6, True)])
def test_layernorm_rmsnorm_match_scalar_rules(rows, L, extreme) -> None:
    lo, hi = (I32_MIN, I32_MAX) if extreme else (-3000, 3000)
    x = _rand(rows * L + 1, lo, hi)                        # one trailing element: stays 0
    sc, bi = _rand(L, lo, hi), _rand(L)
    it, r = run([T("layernorm", H(0), H(1), H(2), H(3)), T("rmsnorm", H(0), H(4), H(2)),
                 T("layernorm", H(0), H(5), C(6), H(9))],
                hot={0: x, 2: sc, 3: bi}, shapes={0: (rows, L) if len(x) == rows * L else (L,)},
                cold={6: _rand(L, -255, 255)[: L - 1]})
    assert r.status is Status.ENDED
    assert hv(it, 1) == ref_norm(x, L, sc, bi)
    assert hv(it, 4) == ref_norm(x, L, sc, None, rms=True)
    cw = it.m.cold[6].values().tolist() + [0]
    assert hv(it, 5) == ref_norm(x, L, cw, [0] * L)       # cold scale padded, missing bias = 0


def test_layernorm_short_scale_register_reads_as_zeros() -> None:
    it, _ = run([T("layernorm", H(0), H(1), H(2), H(3))], hot={0: [1, 2, 3, 4], 2: [255], 3: [5, 6, 7, 8]})
    assert hv(it, 1) == [5, 6, 7, 8]


def test_isqrt_newton_matches_scalar() -> None:
    v = np.array([1, 2, 3, 4, 8, 15, 16, 17, 99, 2**40 + 7, 2**62, 2**63 - 1], np.int64)
    assert isqrt_newton(v).tolist() == [isqrt_ref(int(x)) for x in v]


@pytest.mark.parametrize("shape,n,dim,pos", [((3, 4), 12, 4, 7), ((3, 4), 12, 3, 255), ((2, 6), 12, 200, 3),
                                             ((2, 5), 11, 5, 9), ((5,), 6, 5, 0), ((3, 5), 16, 5, 1)])
def test_rope_matches_sequential_rule(shape, n, dim, pos) -> None:
    x = _rand(n, -100000, 100000)
    it, r = run([T("rope_apply", H(0), dim, pos)], hot={0: x}, shapes={0: shape})
    assert r.status is Status.ENDED
    assert hv(it, 0) == ref_rope(x, shape[-1], dim, pos)


def test_rope_odd_full_width_panics_like_the_reference() -> None:
    x = _rand(10)
    with pytest.raises(IndexError):
        ref_rope(x, 5, 5, 0)
    it, r = run([T("rope_apply", H(0), 5, 0)], hot={0: x}, shapes={0: (2, 5)})
    assert r.status is Status.TRAP and r.kind == "panic" and hv(it, 0) == x


@pytest.mark.parametrize("qs,ks,vs,nq,nk,nv", [((2, 3), (4, 3), (4, 2), 6, 12, 8), ((1,), (1,), (1,), 5, 5, 5),
                                               ((3, 2), (2, 2), (2, 5), 5, 4, 9), ((2, 2), (2, 2), (2, 2), 4, 4, 4)])
def test_attn_matches_scalar_rule(qs, ks, vs, nq, nk, nv) -> None:
    q, k, v = _rand(nq), _rand(nk), _rand(nv, I32_MIN, I32_MAX)
    it, r = run([T("attn", H(0), H(1), H(2), H(3))], hot={0: q, 1: k, 2: v}, shapes={0: qs, 1: ks, 2: vs})
    want, shape = ref_attn(q, qs, k, ks, v, vs)
    assert r.status is Status.ENDED and hv(it, 3) == want and it.m.hot[3].shape == shape


def test_attn_i64_score_wrap_and_mismatch() -> None:
    big = [I32_MIN, I32_MIN, I32_MIN]
    q, k, v = big * 2, big + [1, 2, 3], [7, -7]
    it, _ = run([T("attn", H(0), H(1), H(2), H(3))], hot={0: q, 1: k, 2: v}, shapes={0: (2, 3), 1: (2, 3), 2: (2, 1)})
    assert hv(it, 3) == ref_attn(q, (2, 3), k, (2, 3), v, (2, 1))[0]
    _, r = run([T("attn", H(0), H(1), H(1), H(3))], hot={0: [1, 2, 3], 1: [1, 2, 3, 4]},
               shapes={0: (1, 3), 1: (2, 2)})
    assert r.message == "ATTN shape mismatch"


# ---- KV cache ----------------------------------------------------------------------------------------

def test_kv_append_read_roundtrip_and_growth() -> None:
    it, _ = run([T("kv_append", H(2), H(0), 2, 0), T("kv_read", H(2), 2, H(3), 0), T("kv_read", H(2), 0, H(4), 0),
                 T("kv_read", H(2), 5, H(5), 2), T("kv_append", H(2), H(0), 0, 2)],
                hot={0: [1, 2, 3]})
    assert hv(it, 3) == [1, 2, 3] and it.m.hot[3].shape == (1, 3)
    assert hv(it, 4) == [0, 0, 0] and hv(it, 5) == [0, 0]
    # appending a shorter slice at row 0 keeps the longer data and resets the shape
    assert hv(it, 2) == [1, 2, 0, 0, 0, 0, 1, 2, 3] and it.m.hot[2].shape == (1, 2)


def test_kv_pos_registers_clamp_and_truncate() -> None:
    it, _ = run([T("kv_append_pos", H(2), H(0), H(1), 0), T("kv_append_pos", H(3), H(0), H(4), 1),
                 T("kv_read_pos", H(3), H(4), H(5), 0), T("kv_append_pos", H(6), H(0), H(9), 0)],
                hot={0: [4, 5], 1: [-9], 4: [257]})
    assert it.m.hot[2].shape == (1, 2) and hv(it, 2) == [4, 5]      # negative → row 0
    assert it.m.hot[3].shape == (2, 1) and hv(it, 3) == [0, 4]      # 257 as u8 → row 1
    assert hv(it, 5) == [4]
    assert hv(it, 6) == [4, 5]                                       # missing register → row 0


def test_kv_clear_then_append_from_cleared_source_panics() -> None:
    it, r = run([T("kv_clear", H(1)), T("kv_read", H(1), 0, H(2), 0), T("kv_append", H(3), H(1), 0, 0)],
                hot={0: [1]})
    assert it.m.hot[1].shape == (0, 0) and hv(it, 2) == [0]
    assert r.status is Status.TRAP and r.kind == "panic" and it.m.hot[3] is None
