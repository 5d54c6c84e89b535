"""`.config route`: firmware shared by an array's instances names other regions by firmware-local
ids ("my right neighbour", "the hub"); each instance's table maps them to region ids."""
from __future__ import annotations

import pytest

from ternsig.errors import AssemblyError

from tests.host.conftest import assert_clean, assert_trapped, brain_dir, firmware, hot, reopen, role_for
from tests.host.test_arrays import cfg

# each tick: H1 = message from id 2 (left), H2 = H1 + 1, sent to id 1 (right) and id 3 (the hub)
CHAIN = firmware("ipc.recv_signal H1, 2\nset H3, 1\nadd H2, H1, H3\nipc.send_signal H2, 1\n"
                 "ipc.send_signal H2, 3\nhalt", "H1: i32[1]\nH2: i32[1]\nH3: i32[1]")
HUB = firmware("ipc.recv_signal H1, 1\nipc.recv_signal H2, 2\nhalt", "H1: i32[1]\nH2: i32[1]")


def test_route_lines_resolve_per_instance_with_the_edge_as_no_target():
    c = cfg("""region hub firmware=h.ternsig
               region col[3] firmware=c.ternsig
               route col 1=col[i+1] 2=col[i-1] 3=hub 4=col[0]
               route hub 1=col[0] 2=col[2]
               route col[1] 5=hub""")
    assert c.routes["col[0]"] == {1: "col[1]", 2: None, 3: "hub", 4: "col[0]"}
    assert c.routes["col[1]"] == {1: "col[2]", 2: "col[0]", 3: "hub", 4: "col[0]", 5: "hub"}
    assert c.routes["col[2]"] == {1: None, 2: "col[1]", 3: "hub", 4: "col[0]"}
    assert c.routes["hub"] == {1: "col[0]", 2: "col[2]"}


@pytest.mark.parametrize("line, fragment", [
    ("route col 1=col[3]", "outside the array"),
    ("route col 1=nowhere", "unknown region 'nowhere'"),
    ("route hub 1=col[i+1]", "only inside an array"),
    ("route hub 1=col", "name one instance"),
    ("route col 256=hub", "0..255"),
    ("route col x=hub", "must be an integer"),
    ("route col 1=@env", "not a region"),
    ("route ghost 1=hub", "unknown region 'ghost'"),
])
def test_bad_route_lines_are_refused_with_their_line(line, fragment):
    with pytest.raises(AssemblyError, match=fragment) as exc:
        cfg(f"region hub firmware=h.ternsig\nregion col[3] firmware=c.ternsig\n{line}")
    assert exc.value.line == 4


def _chain(root, extra: str = ""):
    d = brain_dir(root, {"hub": HUB, "col": CHAIN},
                  config="route col 1=col[i+1] 2=col[i-1] 3=hub\nroute hub 1=col[0] 2=col[2]\n" + extra)
    (d / "boot.ternsig").write_text((d / "boot.ternsig").read_text().replace("region col ", "region col[3] "))
    return reopen(root)


def test_shared_firmware_talks_to_its_neighbours_and_the_hub_through_routes(root):
    b = _chain(root)
    # without routes ids 1..3 would be col[0..2] for everyone: the chain proves the per-instance mapping
    assert [r.id for r in b.regions] == [0, 1, 2, 3]
    seen = []
    for _ in range(4):
        b.tick()
        seen.append([hot(b, f"col[{i}]", 2)[0] for i in range(3)] + hot(b, "hub", 1) + hot(b, "hub", 2))
    assert_clean(b)
    # col[0] has no left neighbour (nothing received, nothing sent past col[2]); the count walks right
    assert seen == [[1, 1, 1, 0, 0], [1, 2, 2, 1, 1], [1, 2, 3, 1, 2], [1, 2, 3, 1, 3]]
    assert b.ipc.delivered == 3 * 5        # col[0], col[1]: right + hub; col[2]: hub only; 3 ticks delivered


def test_an_orchestration_op_routed_past_the_edge_traps_naming_the_route(root):
    status = firmware("orchestration.region_status H0, 1\nhalt", "H0: i32[1]")
    d = brain_dir(root, {"col": {"src": status, "opts": f"role={role_for('orchestration.region_status')}"}}, config="route col 1=col[i+1]")
    (d / "boot.ternsig").write_text((d / "boot.ternsig").read_text().replace("region col ", "region col[2] "))
    b = reopen(root)
    b.tick()
    assert_clean(b, "col[0]")
    assert_trapped(b, "col[1]", "RegionStatus", "route 1 has no target", "outside")


def test_regions_without_routes_keep_global_ids(root):
    b = _chain(root)
    # the hub's id 1 is routed; a plain region's unrouted id is the region id, as before
    assert b.region_by_id(1, "x", b.region("hub")).name == "col[0]"
    assert b.region_by_id(2, "x", b.region("hub")).name == "col[2]"
    assert b.region_by_id(3, "x", b.region("hub")).name == "col[2]"
    assert b.region_by_id(3, "x").name == "col[2]" and b.region_by_id(0, "x", b.region("col[0]")).name == "hub"
