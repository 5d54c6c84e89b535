"""A brain takes firmware and model slots in every program form (source, .tvmr, .card, or a name
without suffix resolved in the brain's own directory), and hot reload swaps binary forms too."""
from __future__ import annotations

from ternsig import loader
from ternsig.binary import serialize
from ternsig.reload import brain_reloader

from ternsig.host.brain import Brain

from tests.host.conftest import assert_clean, brain_dir, firmware, hot, make_brain, set_hot

DOUBLE = firmware("load_input H0\nadd H1, H0, H0\nstore_output H1\nhalt", "H0: i32[1]\nH1: i32[1]")
TRIPLE = firmware("load_input H0\nadd H1, H0, H0\nadd H1, H1, H0\nstore_output H1\nhalt", "H0: i32[1]\nH1: i32[1]")
FW = firmware("set H0, 7\nhalt", "H0: i32[1]")


def _binary_forms(d, name, text):
    prog = loader.load_string(text, name)
    (d / f"{name}.tvmr").write_bytes(serialize(prog))
    loader.save_card(d / f"{name}.card", prog)


def test_region_firmware_in_every_form(root):
    d = brain_dir(root, {"src": FW}, config="region bin firmware=fw.tvmr role=test\n"
                                          "region crd firmware=fw.card role=test\n"
                                          "region bare firmware=fwc role=test")
    _binary_forms(d, "fw", FW)
    (d / "fwc.card").write_bytes((d / "fw.card").read_bytes())
    b = Brain(d, state_dir=root / "state")
    b.boot()
    b.tick()
    assert_clean(b)
    assert [hot(b, n, 0) for n in ("src", "bin", "crd", "bare")] == [[7]] * 4
    assert b.region("bare").firmware.name == "fwc.card"


def test_model_slot_from_a_card(root):
    d = root / "pre"
    d.mkdir()
    prog = loader.load_string(DOUBLE, "double")
    loader.save_card(d / "double.card", prog)
    b = make_brain(root, {"r": firmware("orchestration.model_load H9, 0\norchestration.model_input H0, 0\n"
                                        "orchestration.model_exec H1, 0\nhalt",
                                        "\n".join(f"H{i}: i32[1]" for i in range(10)))},
                   config="model r 0=double.card", files={"double.card": ""})
    (root / "brain" / "double.card").write_bytes((d / "double.card").read_bytes())
    set_hot(b, "r", 0, [21])
    b.tick()
    assert_clean(b)
    assert hot(b, "r", 1) == [42]


def test_hot_reload_of_a_card(root):
    d = root / "brain"
    d.mkdir(parents=True)
    _binary_forms(d, "m", DOUBLE)
    b = make_brain(root, {"x": FW}, config="region m firmware=m.card role=test input=@env")
    rl = brain_reloader(b, debounce=0.0, use_watchfiles=False)
    set_hot(b, "m", 0, [5])
    loader.save_card(d / "m.card", loader.load_string(TRIPLE, "m"))
    events = rl.check(force=True)
    assert any(ev.ok for ev in events), events
    assert len(b.region("m").program.instructions) == 5
    rl.close()
