"""An array whose shared firmware talks over IPC through `.config route` (ring[i] -> ring[i+1],
-> hub) computes the same brain in one process and over MPI ranks: every rank resolves the
routes from the same config, and the IPC regions run replicated (cluster/plan.py)."""
from __future__ import annotations

from ternsig.cluster.plan import make_plan
from ternsig.host.brain import Brain
from ternsig.host.digest import brain_digest
from tests.cluster.brains import routed_brain
from tests.cluster.test_cluster_run import TICKS, run, single


def test_routed_ipc_regions_are_replicated_on_every_rank(tmp_path):
    b = Brain(routed_brain(tmp_path, 3))
    plan = make_plan(b, 2)
    ipc = [r for r in b.regions if r.name.startswith(("ring", "hub"))]
    assert len(ipc) == 4 and all(plan.owner[r.id] == -1 for r in ipc)     # -1: every rank runs it
    assert b.region("ring[2]").routes == {1: None, 2: b.region("ring[1]").id, 3: b.region("hub").id}
    b.boot()
    for _ in range(3):
        b.tick()
    # the hub's id 2 is ring[2], relaying the max of what ring[1] forwarded from its sensory column
    # (unrouted, id 2 would be sensory[2], which sends nothing: H2 would stay 0)
    assert b.region("hub").machine.hot[2].data.tolist()[0] > 0


def test_digest_with_routed_ipc_is_the_same_for_one_process_and_two_ranks(tmp_path):
    ref = single(routed_brain(tmp_path / "one", 3))
    d = routed_brain(tmp_path / "many", 3)
    p = run(["run", str(d), "--ticks", str(TICKS), "-q", "--checkpoint-seconds", "0"], ranks=2)
    assert p.returncode == 0, p.stdout + p.stderr
    got = brain_digest(d / "state")
    assert got.total == ref and got.tick == TICKS
    assert {"hub", "ring[0]", "ring[2]"} <= set(got.per_region)
