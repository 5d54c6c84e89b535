"""Learning curves: labels with the real window size, points only for the ticks that ran, PNG plots."""
from __future__ import annotations

import pytest

from ternsig.errors import UsageError
from ternsig.host.curve import MAX_POINTS, LearningCurve, check_plot_target


def _curve(ticks: int, start: int = 0) -> LearningCurve:
    c = LearningCurve()
    for t in range(start + 1, start + ticks + 1):
        c.add(t, min(1.0, t / 300), min(t - start, 200))
    return c


def test_early_points_are_labelled_with_their_own_window():
    text = _curve(1000).text()
    assert "tick      25   " in text and "over the last 25 ticks" in text
    assert "over the last 200 ticks" in text
    assert "previous 200" not in text
    assert text.splitlines()[0] == "learning curve (accuracy over a sliding window of up to 200 ticks):"
    rows = text.splitlines()[1:]
    assert rows[-1].lstrip().startswith("tick    1000")
    assert len(rows) <= 12 + 3


def test_an_interrupted_run_spreads_its_rows_over_the_ticks_that_ran():
    c = _curve(40)                     # planned 1000, Ctrl-C after 40
    ticks = [c.ticks[i] for i in c.rows()]
    assert ticks[-1] == 40 and max(ticks) == 40
    assert len(ticks) >= 8             # not 1-2 rows from a spacing planned for 1000 ticks


def test_a_resumed_run_marks_its_early_ticks_from_where_it_started():
    c = _curve(300, start=5000)
    assert c.ticks[c.rows()[0]] == 5025


def test_long_runs_keep_a_bounded_number_of_points():
    c = _curve(MAX_POINTS * 3)
    assert len(c) < MAX_POINTS and c.stride > 1
    assert c.ticks == sorted(c.ticks)


def test_plot_writes_a_png(tmp_path):
    path = _curve(300).plot(tmp_path / "curve.png", "test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name, needle", [("curve.txt", "must end in .png"), ("nodir/curve.png", "no such directory")])
def test_plot_targets_are_checked_before_a_run(tmp_path, name, needle):
    with pytest.raises(UsageError, match=needle):
        check_plot_target(str(tmp_path / name))
    assert check_plot_target(None) is None
    assert check_plot_target(str(tmp_path / "ok.png")) == tmp_path / "ok.png"


def test_without_matplotlib_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    import builtins

    real = builtins.__import__

    def no_mpl(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_mpl)
    with pytest.raises(UsageError, match=r"pip install 'ternsig\[plot\]'"):
        check_plot_target(str(tmp_path / "c.png"))
