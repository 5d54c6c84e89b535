"""Hostile state files whose checksums are valid (checksums are not secrets): every reader turns
malformed content — wrong types, huge numbers, deep nesting, counts that disagree — into a
FormatError (or the reader's documented TernsigError) with a position, never a raw exception, and
never allocates from a size it has not checked.

Readers: bank files (host/banks.py), the state-file container (host/statefile.py), the journal
(safety/journal.py), checkpoint manifests (host/checkpoint.py) and weights JSON (cli --weights).
`.thermo` is fuzzed with a fixed CRC in tests/thermo/test_format.py; telemetry is write-only (no
reader)."""
from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import numpy as np
import pytest
import xxhash
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ternsig.asm import assemble
from ternsig.errors import FormatError, TernsigError
from ternsig.host import banks as bk
from ternsig.host import statefile
from ternsig.host.checkpoint import MANIFEST_MAGIC, Manifest
from ternsig.safety import journal as jr
from ternsig.vm.interpreter import Interpreter

JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
                    | st.text(max_size=8), lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c, max_size=4),
                    max_leaves=12)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DEEP = "[" * 100_000 + "]" * 100_000


def paths(doc: Any, at: tuple = ()) -> list[tuple]:
    out = [at]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += paths(v, at + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += paths(v, at + (i,))
    return out


def replaced(doc: Any, at: tuple, value: Any) -> Any:
    if not at:
        return value
    doc = copy.deepcopy(doc)
    cur = doc
    for k in at[:-1]:
        cur = cur[k]
    cur[at[-1]] = value
    return doc


def mutations(doc: Any):
    """A valid document with one node (anywhere) replaced by any JSON value."""
    return st.sampled_from(paths(doc)).flatmap(lambda at: JSON.map(lambda v: replaced(doc, at, v)))


# ---- banks ---------------------------------------------------------------------------------------

def bank_file(body: bytes) -> bytes:
    return bk.MAGIC + bk.VERSION.to_bytes(2, "little") + len(body).to_bytes(8, "little") \
        + xxhash.xxh64(body).digest() + body


def _bank_doc() -> dict:
    b = bk.Bank("b", width=4, max_entries=8)
    e = b.insert(np.array([1, -2, 3, 4]), 5)
    b.insert(np.array([0, 0, 9, 9]), 6)
    b.link(e, 0, 0, e, 7, 6)
    return json.loads(b.to_bytes()[22:])


BANK = _bank_doc()


@FUZZ
@given(doc=mutations(BANK))
def test_bank_reader_refuses_malformed_content_with_a_position(doc):
    try:
        b = bk.Bank.from_bytes(bank_file(json.dumps(doc).encode()))
    except FormatError as exc:
        assert exc.offset >= 0
        return
    assert len(b) <= b.max_entries <= bk.MAX_BANK_CELLS


@pytest.mark.parametrize("field,value", [("width", 10**12), ("max_entries", 10**12), ("width", 0),
                                         ("max_entries", -1), ("seq", 10**30), ("width", 1 << 22)])
def test_bank_sizes_from_a_file_are_bounded_before_anything_is_allocated(field, value):
    with pytest.raises(FormatError, match="bank"):
        bk.Bank.from_bytes(bank_file(json.dumps({**BANK, field: value}).encode()))


def test_bank_with_more_entries_or_edges_than_its_limits_is_refused():
    many = {**BANK, "max_entries": 1}
    with pytest.raises(FormatError, match="entries"):
        bk.Bank.from_bytes(bank_file(json.dumps(many).encode()))
    meta = copy.deepcopy(BANK["meta"])
    meta[0]["e"] = meta[0]["e"] * 40
    with pytest.raises(FormatError, match="edges"):
        bk.Bank.from_bytes(bank_file(json.dumps({**BANK, "meta": meta}).encode()))


def test_deeply_nested_bank_body_is_a_format_error():
    with pytest.raises(FormatError):
        bk.Bank.from_bytes(bank_file(DEEP.encode()))


# ---- the state-file container ------------------------------------------------------------------------

def state_file(header: Any, area: bytes = b"") -> bytes:
    return state_raw(json.dumps(header).encode(), area)


def state_raw(h: bytes, area: bytes = b"") -> bytes:
    rest = len(h).to_bytes(4, "little") + h + area
    return statefile.MAGIC + hashlib.sha256(rest).digest() + rest


STATE = json.loads(statefile.pack({"a": np.arange(6, dtype=np.int32).reshape(2, 3), "b": [1, {"c": b"xy"}]})
                   [statefile._HEAD:statefile._HEAD + 10**6].split(b"]]}", 1)[0] + b"]]}")


@FUZZ
@given(doc=mutations(STATE))
def test_state_file_reader_refuses_malformed_headers_with_a_position(doc):
    try:
        statefile.unpack(state_file(doc, bytes(range(64))))
    except FormatError as exc:
        assert exc.offset >= 0


def test_state_file_nesting_and_huge_shapes_are_refused():
    with pytest.raises(FormatError):
        statefile.unpack(state_raw(DEEP.encode()))
    deep_doc = b'{"doc": ' + DEEP.encode() + b', "blobs": []}'
    with pytest.raises(FormatError):
        statefile.unpack(state_raw(deep_doc))
    # 2**40 x 2**40 int64 wraps to 0 bytes in a NumPy product: must not pass as an empty blob
    huge = {"doc": {"$blob": 0}, "blobs": [["array", "int64", [2**40, 2**40], 0, 0]]}
    with pytest.raises(FormatError, match="blob 0"):
        statefile.unpack(state_file(huge))


# ---- the journal -----------------------------------------------------------------------------------------

def journal_file(doc: Any) -> bytes:
    payload = json.dumps(doc).encode()
    return jr.MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload


def _journal_doc() -> dict:
    return json.loads(jr.Journal().to_bytes().split(b"\n", 1)[1])


JOURNAL = _journal_doc()


@FUZZ
@given(doc=mutations(JOURNAL))
def test_journal_reader_refuses_malformed_payloads_with_a_position(doc):
    try:
        jr.Journal().load_bytes(journal_file(doc))
    except FormatError as exc:
        assert exc.offset >= 0


def test_deeply_nested_journal_is_a_format_error():
    payload = DEEP.encode()
    data = jr.MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload
    with pytest.raises(FormatError):
        jr.Journal().load_bytes(data)


# ---- checkpoint manifests ------------------------------------------------------------------------------

def manifest_file(doc: Any) -> bytes:
    body = json.dumps(doc).encode()
    return MANIFEST_MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


MANIFEST = {"format": "ternsig-checkpoint", "version": 1, "id": 3, "tick": 9, "meta": {"k": 1},
            "parts": [{"name": "brain", "file": "p0", "size": 10, "sha256": "0" * 64}]}


MANIFEST_V2 = {"format": "ternsig-checkpoint", "version": 2, "id": 3, "tick": 9, "meta": {"k": 1},
               "files": [{"file": "rank0", "size": 10, "parts": [{"name": "kernel", "size": 4, "sha256": "0" * 64},
                                                                 {"name": "region.a", "size": 6, "sha256": "1" * 64}]}]}


@FUZZ
@given(doc=mutations(MANIFEST) | mutations(MANIFEST_V2))
def test_manifest_reader_refuses_malformed_content_with_a_position(doc):
    try:
        Manifest.from_bytes(manifest_file(doc))
    except FormatError as exc:
        assert exc.offset >= 0


def test_deeply_nested_manifest_is_a_format_error():
    body = DEEP.encode()
    with pytest.raises(FormatError):
        Manifest.from_bytes(MANIFEST_MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body)


# ---- weights JSON (ternsig run --weights) ----------------------------------------------------------------

WEIGHTS = {"C0": {"weights": [1, -2, 3, 0], "temperatures": [0, 1, 2, 3]}}


def _weights_interp() -> Interpreter:
    return Interpreter(assemble(".registers\n    C0: ternary[2, 2]\n.program\n    halt\n"), tier="interp")


@FUZZ
@given(doc=mutations(WEIGHTS))
def test_weights_json_errors_are_project_errors(tmp_path_factory, doc):
    from ternsig.cli.common import apply_weights

    p = tmp_path_factory.mktemp("w") / "w.json"
    p.write_text(json.dumps(doc))
    try:
        apply_weights(_weights_interp(), p)
    except TernsigError:
        pass


def test_deeply_nested_weights_json_is_a_project_error(tmp_path):
    from ternsig.cli.common import apply_weights

    p = tmp_path / "w.json"
    p.write_text(DEEP)
    with pytest.raises(TernsigError):
        apply_weights(_weights_interp(), p)


def test_a_weight_pair_of_lists_is_a_usage_error():
    # found by test_weights_json_errors_are_project_errors: [[], []] flattened to no values
    import numpy as np

    from ternsig.errors import UsageError
    from ternsig.inputs import _signals

    with pytest.raises(UsageError, match="pair of integers"):
        _signals([[[], []], 1], 2, "weights")
    assert [a.tolist() for a in _signals([[1, 5], -3], 2, "weights")] == [[1, -1], [5, 3]]
    assert np.asarray(_signals([[-1, 0]], 1, "w")[0]).dtype == np.int8


def test_a_configured_bank_too_large_is_refused_before_allocating(tmp_path):
    """bank_width from .config: a bank of 4096 entries x 1M values would be 16 GiB."""
    from ternsig.errors import HostError

    with pytest.raises(HostError, match="memory limit"):
        bk.BankSet(tmp_path, width=1 << 20).get("mem")
