"""Datasets from .npz and CSV: what is read, and one clear error for everything else."""
from __future__ import annotations

import numpy as np
import pytest

from ternsig.dataset import DatasetError, from_arrays, load_dataset


def test_npz_with_targets(tmp_path):
    p = tmp_path / "d.npz"
    np.savez(p, inputs=np.arange(6).reshape(3, 2), targets=np.array([[255, 0], [0, 255], [255, 0]]))
    d = load_dataset(p)
    assert d.inputs.tolist() == [[0, 1], [2, 3], [4, 5]]
    assert d.targets.tolist() == [[255, 0], [0, 255], [255, 0]] and d.labels is None
    assert d.classes.tolist() == [0, 1, 0]
    assert "3 samples, 2 inputs, 2 targets" in repr(d)


def test_npz_with_labels_becomes_one_hot(tmp_path):
    p = tmp_path / "d.npz"
    np.savez(p, inputs=np.ones((3, 4), np.uint8), labels=np.array([2, 0, 1]))
    d = load_dataset(p)
    assert d.targets.tolist() == [[0, 0, 255], [255, 0, 0], [0, 255, 0]]
    assert load_dataset(p, classes=5).targets.shape == (3, 5)


def test_csv_with_label_and_with_targets(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("# a comment\nx0, x1 ,label\n1,2,1\n\n3,4,0\n")
    d = load_dataset(p)
    assert d.inputs.tolist() == [[1, 2], [3, 4]] and d.labels.tolist() == [1, 0]
    assert d.targets.tolist() == [[0, 255], [255, 0]]
    q = tmp_path / "t.csv"
    q.write_text("target_a,a,b,target_b\n5,1,2,-6\n")
    d = load_dataset(q)
    assert d.inputs.tolist() == [[1, 2]] and d.targets.tolist() == [[5, -6]]


@pytest.mark.parametrize("text, needle", [
    ("", "empty"),
    ("a,b\n1,2\n", "names no 'label' or 'target"),
    ("label\n1\n", "no input column"),
    ("a,label,label\n1,2,3\n", "more than one 'label'"),
    ("a,label,target\n1,2,3\n", "not both"),
    ("a,label\n1,2\n3\n", "d.csv:3: 1 values, the header has 2 columns"),
    ("a,label\n1.5,2\n", "d.csv:2: column 'a': '1.5' is not an integer"),
    ("a,label\n99999999999,2\n", "outside i32"),
    ("a,label\n1,-1\n", "labels must be 0 or more"),
    ("a,label\n", "no samples"),
])
def test_bad_csv(tmp_path, text, needle):
    p = tmp_path / "d.csv"
    p.write_text(text)
    with pytest.raises(DatasetError, match=needle):
        load_dataset(p)


def test_bad_npz_and_suffix(tmp_path):
    p = tmp_path / "d.npz"
    p.write_bytes(b"not a zip")
    with pytest.raises(DatasetError, match="not a readable .npz"):
        load_dataset(p)
    np.savez(p, x=np.zeros(3))
    with pytest.raises(DatasetError, match="no 'inputs' array"):
        load_dataset(p)
    np.savez(p, inputs=np.zeros((2, 2)), targets=np.zeros((3, 2)))
    with pytest.raises(DatasetError, match="2 input rows but 3 target rows"):
        load_dataset(p)
    np.savez(p, inputs=np.full((2, 2), 0.5), labels=np.zeros(2))
    with pytest.raises(DatasetError, match="integers"):
        load_dataset(p)
    np.savez(p, inputs=np.zeros((2, 2)))
    with pytest.raises(DatasetError, match="no targets"):
        load_dataset(p)
    np.save(tmp_path / "o.npy", np.array([object()]), allow_pickle=True)
    import zipfile

    with zipfile.ZipFile(p, "w") as z:
        z.write(tmp_path / "o.npy", "inputs.npy")
    with pytest.raises(DatasetError, match="not a readable"):
        load_dataset(p)
    (tmp_path / "d.json").write_text("{}")
    with pytest.raises(DatasetError, match=".npz or .csv"):
        load_dataset(tmp_path / "d.json")
    with pytest.raises(DatasetError, match="non-UTF|not UTF-8"):
        (tmp_path / "b.csv").write_bytes(b"a,label\n\xff,1\n")
        load_dataset(tmp_path / "b.csv")


def test_from_arrays_shapes():
    d = from_arrays(np.arange(3), labels=[0, 1, 1])
    assert d.inputs.shape == (3, 1) and d.targets.shape == (3, 2)
    with pytest.raises(DatasetError, match="2-D"):
        from_arrays(np.zeros((2, 2, 2)), labels=[0, 1])


def test_labels_beyond_the_declared_classes_are_refused(tmp_path):
    p = tmp_path / "d.npz"
    np.savez(p, inputs=np.zeros((2, 2)), labels=np.array([0, 3]))
    with pytest.raises(DatasetError, match="label 3 does not fit 2 classes"):
        load_dataset(p, classes=2)
    assert load_dataset(p, classes=6).targets.shape == (2, 6)


from hypothesis import given, strategies as st  # noqa: E402


@given(st.text(alphabet=st.sampled_from(list("0123456789,-+ #\nlabeltargx.\t\"e")), max_size=200))
def test_any_csv_text_loads_or_is_a_dataset_error(tmp_path_factory, text):
    p = tmp_path_factory.mktemp("csv") / "d.csv"
    p.write_text(text)
    try:
        d = load_dataset(p)
    except DatasetError:
        return
    assert d.inputs.shape[0] == d.targets.shape[0] > 0


@given(st.binary(max_size=300), st.integers(0, 299))
def test_any_npz_bytes_load_or_are_a_dataset_error(tmp_path_factory, junk, cut):
    d = tmp_path_factory.mktemp("npz")
    good = d / "good.npz"
    np.savez(good, inputs=np.arange(6).reshape(3, 2), labels=np.array([0, 1, 0]))
    data = good.read_bytes()
    p = d / "d.npz"
    p.write_bytes(data[:cut] + junk + data[cut + len(junk):])
    try:
        load_dataset(p)
    except DatasetError:
        pass
