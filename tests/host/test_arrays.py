"""Region arrays: `region NAME[N]` in .config declares N instances wired by index, each with its
own thermogram keys ({i}), tables and checkpoint state."""
from __future__ import annotations

import numpy as np
import pytest

from ternsig.errors import AssemblyError, HostError
from ternsig.host.arrays import instance_name
from ternsig.host.config import parse_config

from tests.host.conftest import brain_dir, firmware, reopen

SRC = firmware("set H0, 10\nstore_output H0\nhalt", "H0: i32[1]")
PASS = firmware("load_input H0\nstore_output H0\nhalt", 'H0: i32[1]\nC0: ternary[1, 2] key="col.{i}.w"')


def cfg(lines: str):
    return parse_config(".config\n" + "".join(f"    {ln.strip()}\n" for ln in lines.strip().splitlines())
                        + ".program\n    halt\n")


def test_an_array_declares_its_instances_in_order_with_relative_and_whole_array_inputs():
    c = cfg("""region src firmware=s.ternsig
               region col[3] firmware=c.ternsig role=learning input=src,col[i-1] target=col[i+1]
               region pool firmware=p.ternsig input=col,col[1] target=col[2]""")
    assert [d.name for d in c.regions] == ["src", "col[0]", "col[1]", "col[2]", "pool"]
    assert c.arrays == {"col": 3}
    cols = c.regions[1:4]
    assert [(d.array, d.index, d.role) for d in cols] == [("col", 0, "learning"), ("col", 1, "learning"),
                                                          ("col", 2, "learning")]
    assert [d.inputs for d in cols] == [["src"], ["src", "col[0]"], ["src", "col[1]"]]
    assert [d.target for d in cols] == ["col[1]", "col[2]", None]     # past the edge: no target
    assert c.regions[4].inputs == ["col[0]", "col[1]", "col[2]", "col[1]"] and c.regions[4].target == "col[2]"
    assert c.regions[0].array is None and instance_name("col", 7) == "col[7]"


def test_tables_address_every_instance_or_one_with_the_index_substituted():
    c = cfg("""region col[3] firmware=c.ternsig
               key col 1=col.{i}.w0
               key col[i] 2=shared
               bank col 0=ep{i}
               bank col[2] 0=last
               model col[1] 0=m{i}.ternsig
               snn col neurons={i}""")
    assert c.keys == {"col[0]": {1: "col.0.w0", 2: "shared"}, "col[1]": {1: "col.1.w0", 2: "shared"},
                      "col[2]": {1: "col.2.w0", 2: "shared"}}
    assert c.banks == {"col[0]": {0: "ep0"}, "col[1]": {0: "ep1"}, "col[2]": {0: "last"}}   # later line wins
    assert c.models == {"col[1]": {0: "m1.ternsig"}}
    assert c.spiking["col[2]"] == {"snn": {"neurons": "2"}}


@pytest.mark.parametrize("lines, needle", [
    ("region col[0] firmware=c", "0 instances"),
    ("region col[70000] firmware=c", "70000 instances"),
    ("region col[2x] firmware=c", "bad region array"),
    ("region ../col[2] firmware=c", "not a plain name"),
    ("region col[2] firmware=c\nregion col firmware=d", "declared twice"),
    ("region col[2] firmware=c input=col[5]", "col[5] is outside the array"),
    ("region col[2] firmware=c\nregion p firmware=c input=col[i-1]", "only inside an array"),
    ("region col[2] firmware=c\nregion p firmware=c target=col", "name one instance"),
    ("region src firmware=c\nregion p firmware=c input=src[0]", "is not an array"),
    ("region col[2] firmware=c input=nowhere[i]", "unknown region 'nowhere'"),
    ("region col[2] firmware=c input=col[j]", "bad region reference"),
    ("region p firmware=c\nkey p 1=w{i}", "only meaningful for a region array"),
    ("region col[2] firmware=c\nbank col 0=../b{i}", "not a plain name"),
    ("region col[2] firmware=c\nkey col[9] 1=w", "col[9] is outside the array"),
    ("region col[2] firmware=c\nkey col[i+1] 1=w", "for every instance"),
])
def test_bad_array_declarations_are_assembly_errors_with_the_line(lines, needle):
    with pytest.raises(AssemblyError, match=None) as e:
        cfg(lines)
    assert needle in str(e.value) and e.value.line >= 2 and e.value.source_name == "boot.ternsig"


def test_instances_run_in_index_order_and_a_reader_of_the_array_sees_every_output(root):
    d = brain_dir(root, {"src": SRC, "col": {"src": PASS, "opts": "input=src,col[i-1]"},
                         "pool": {"src": firmware("load_input H0\nstore_output H0\nhalt", "H0: i32[1]"),
                                  "opts": "input=col"}})
    (d / "boot.ternsig").write_text((d / "boot.ternsig").read_text().replace("region col ", "region col[4] "))
    b = reopen(root)
    assert [r.name for r in b.regions] == ["src"] + [f"col[{i}]" for i in range(4)] + ["pool"]
    assert [(r.id, r.array, r.index) for r in b.regions[1:5]] == [(1, "col", 0), (2, "col", 1), (3, "col", 2),
                                                                  (4, "col", 3)]
    b.tick()
    assert [len(b.region(f"col[{i}]").output) for i in range(4)] == [1, 2, 3, 4]
    assert b.region("pool").output.tolist() == [10] * 10


def test_each_instance_persists_its_own_weights_across_a_restart(root):
    d = brain_dir(root, {"col": PASS})
    (d / "boot.ternsig").write_text((d / "boot.ternsig").read_text().replace("region col ", "region col[3] "))
    b = reopen(root)
    assert [b.region(f"col[{i}]").machine.cold[0].key for i in range(3)] == ["col.0.w", "col.1.w", "col.2.w"]
    for i in range(3):
        c = b.region(f"col[{i}]").machine.cold[0]
        c.pol[:], c.mag[:] = [1, -1], [i + 1, 2 * i + 1]
        c.touch()
    b.tick()
    b.save()
    b2 = reopen(root)
    for i in range(3):
        c = b2.region(f"col[{i}]").machine.cold[0]
        assert c.pol.tolist() == [1, -1] and c.mag.tolist() == [i + 1, 2 * i + 1]
    assert b2.dropped == []
    w = b2.store.tt.load_weights("col.2.w")
    assert w is not None and np.asarray(w.arrays()[1]).tolist() == [3, 5]


def test_firmware_keys_and_the_index_must_agree(root):
    same_key = firmware("halt", 'C0: ternary[1, 2] key="col.w"')
    d = brain_dir(root, {"col": same_key})
    (d / "boot.ternsig").write_text((d / "boot.ternsig").read_text().replace("region col ", "region col[2] "))
    with pytest.raises(HostError, match=r"'col.w' is already declared by region 'col\[0\]'.*\{i\}"):
        reopen(root)
    brain_dir(root, {"col": PASS})
    (d / "boot.ternsig").write_text((d / "boot.ternsig").read_text().replace("region col[2] ", "region col "))
    with pytest.raises(HostError, match=r"region col: a thermogram key uses \{i\}"):
        reopen(root)
