"""Interpreter.save / .load: one file holds a trained program's whole machine state."""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from ternsig.asm import assemble
from ternsig.errors import FormatError
from ternsig.host.tasks import PatternTask
from ternsig.vm.interpreter import Interpreter
from tests.paths import EXAMPLES

LEARNER = (EXAMPLES / "brain" / "learner.ternsig").read_text()


def _data(n: int = 60):
    task = PatternTask(noise=40)
    samples = [task.sample() for _ in range(n)]
    return np.array([s.x for s in samples]) >> 3, np.array([s.target for s in samples])


@pytest.fixture
def trained(tmp_path):
    vm = Interpreter(assemble(LEARNER))
    x, y = _data()
    vm.fit(x, y, epochs=2)
    vm.set_weights("C1", vm.weights("C1").values, temperatures="COOL")
    vm.set_chemicals(dopamine=77)
    path = vm.save(tmp_path / "learner.npz")
    return vm, path


def test_save_then_load_restores_every_register(trained):
    vm, path = trained
    fresh = Interpreter(assemble(LEARNER))
    fresh.load(path)
    for name, value in vm.registers.items():
        other = fresh.registers[name]
        if hasattr(value, "values"):
            assert np.array_equal(other.values, value.values), name
            assert np.array_equal(other.temperatures, value.temperatures), name
            assert (other.pressure is None) == (value.pressure is None)
            if value.pressure is not None:
                assert np.array_equal(other.pressure, value.pressure), name
            assert other.key == value.key
        else:
            assert np.array_equal(np.asarray(other), np.asarray(value)), name
    assert fresh.chemicals == vm.chemicals
    assert fresh.weights("C1").temperature_counts()["COOL"] == 16
    assert np.any(fresh.weights("C0").values)                # it did learn something
    x, _ = _data(10)
    for v in (vm, fresh):
        v.set_chemicals(dopamine=0)           # predict only: a learning program learns while dopamine ≥ 76
    assert np.array_equal(fresh.predict(x), vm.predict(x))


def test_a_grown_register_comes_back_with_its_shape(tmp_path):
    vm = Interpreter(assemble(LEARNER))
    vm.m.replace_cold(0, np.ones(32, np.int8), np.full(32, 3, np.uint8), (2, 16))
    vm.save(tmp_path / "s.npz")
    fresh = Interpreter(assemble(LEARNER))
    fresh.load(tmp_path / "s.npz")
    assert fresh.weights("C0").shape == (2, 16) and fresh.weights("C0").key == "demo.learner.class0"


def test_a_file_for_another_program_is_refused_and_changes_nothing(trained, tmp_path):
    _, path = trained
    other = Interpreter(assemble(LEARNER.replace("H0: i32[16]", "H0: i32[8]")))
    other.set_register("H1", [5])
    with pytest.raises(FormatError, match=r"other register declarations \(H0 was saved as i32\[16\]"):
        other.load(path)
    assert other.register("H1").tolist() == [5]


def _rewrite(path, tmp_path, **changes):
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    arrays.update(changes)
    for k, v in list(arrays.items()):
        if v is None:
            del arrays[k]
    out = tmp_path / "bad.npz"
    np.savez(out, **arrays)
    return out


@pytest.mark.parametrize("change, needle", [
    ({"C0.pol": np.full(16, 2, np.int8)}, "C0.pol: values must lie in -1..1"),
    ({"C0.temps": np.full(16, 9, np.uint8)}, "C0.temps: values must lie in 0..3"),
    ({"C0.mag": np.zeros(3, np.uint8)}, "C0.mag: expected 16 values"),
    ({"C0.shape": np.array([4, 5])}, r"C0.shape \[4, 5\] does not match 16 values"),
    ({"H0": np.zeros(16, np.float64)}, "H0: expected a 1-D integer array"),
    ({"magic": np.array("something else")}, "not a ternsig state file"),
    ({"X9": np.zeros(1)}, "unexpected member 'X9'"),
    ({"chemicals": np.array([1, 2])}, "chemicals: expected 4 values"),
])
def test_damaged_files_are_format_errors(trained, tmp_path, change, needle):
    vm, path = trained
    bad = _rewrite(path, tmp_path, **change)
    before = vm.weights("C0").values.copy()
    with pytest.raises(FormatError, match=needle):
        vm.load(bad)
    assert np.array_equal(vm.weights("C0").values, before)


def test_not_a_zip_and_truncated_files(trained, tmp_path):
    vm, path = trained
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"hello")
    with pytest.raises(FormatError, match="not a ternsig state file"):
        vm.load(junk)
    cut = tmp_path / "cut.npz"
    cut.write_bytes(path.read_bytes()[:200])
    with pytest.raises(FormatError):
        vm.load(cut)
    with pytest.raises(FileNotFoundError):
        vm.load(tmp_path / "missing.npz")


def test_a_pickled_member_is_refused(trained, tmp_path):
    vm, path = trained
    bad = tmp_path / "pickle.npz"
    buf = io.BytesIO()
    np.save(buf, np.array([object()], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = buf.getvalue() if info.filename == "H0.npy" else src.read(info)
            dst.writestr(info.filename, data)
    with pytest.raises(FormatError, match="not a ternsig state file"):
        vm.load(bad)


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=60)
@given(st.binary(min_size=1, max_size=64), st.integers(0, 10_000))
def test_any_damage_loads_or_is_a_format_error(tmp_path_factory, junk, at):
    vm = Interpreter(assemble(LEARNER))
    d = tmp_path_factory.mktemp("st")
    data = vm.save(d / "s.npz").read_bytes()
    at %= len(data)
    bad = d / "bad.npz"
    bad.write_bytes(data[:at] + junk + data[at + len(junk):])
    try:
        vm.load(bad)
    except FormatError:
        pass
