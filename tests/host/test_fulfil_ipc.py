"""ipc (0x0009) under a brain: delivery next tick in a fixed order, broadcast/subscribe, mailboxes,
barriers that release when every running region has arrived, atomic compare-and-swap."""
from __future__ import annotations

from ternsig.extensions.ipc import TABLE

from tests.host.conftest import assert_clean, assert_trapped, firmware, hot, make_brain, set_hot

COVERED = {"send_signal", "recv_signal", "broadcast", "subscribe", "mailbox_peek", "mailbox_pop",
           "barrier_wait", "atomic_cas"}


def test_every_ipc_opcode_is_covered_here():
    assert {s.mnemonic for s in TABLE.specs} == COVERED


RECV = firmware("ipc.recv_signal H1, 1\nipc.recv_signal H2, 2\nhalt", "H1: i32[1]\nH2: i32[1]")


def sender(scale: int) -> str:
    return firmware(f"lifecycle.tick_read H0\nset H1, {scale}\nconcat H2, H0, H1\nipc.send_signal H2, 0\nhalt",
                    "H0: i32[1]\nH1: i32[1]\nH2: i32[2]")


def test_signals_arrive_next_tick_whatever_the_run_order(root):
    # the receiver (id 0) runs before both senders each tick, yet reads exactly last tick's messages
    b = make_brain(root, {"rx": RECV, "s1": sender(10), "s2": sender(100)})
    seen = []
    for _ in range(3):
        b.tick()
        seen.append((hot(b, "rx", 1), hot(b, "rx", 2)))
    assert_clean(b)
    assert seen == [([0], [0]), ([1, 10], [1, 100]), ([2, 10], [2, 100])]
    assert b.ipc.delivered == 4                   # the tick-3 messages wait for tick 4


def test_delivery_is_deterministic_across_runs(root):
    def run(sub):
        b = make_brain(root / sub, {"rx": firmware("ipc.recv_signal H1, 1\nipc.recv_signal H2, 1\nhalt",
                                                   "H1: i32[1]\nH2: i32[1]"),
                                    "s1": firmware("lifecycle.tick_read H0\nipc.send_signal H0, 0\n"
                                                   "set H0, 7\nipc.send_signal H0, 0\nhalt")})
        out = []
        for _ in range(4):
            b.tick()
            out.append(hot(b, "rx", 1) + hot(b, "rx", 2))
        return out

    first = run("a")
    assert first == [[0, 0], [1, 7], [2, 7], [3, 7]]     # in send order within a sender
    assert run("b") == first


def test_broadcast_reaches_subscribers_and_the_channel_mailbox(root):
    listener = firmware("""
        ipc.subscribe H0, 7
        ipc.recv_signal H1, 1
        ipc.mailbox_peek H2, 7
        ipc.mailbox_peek H3, 7
        ipc.mailbox_pop H4, 7
        ipc.mailbox_pop H5, 9
        halt
    """, "H0: i32[2]\nH1: i32[1]\nH2: i32[1]\nH3: i32[1]\nH4: i32[1]\nH5: i32[1]")
    talker = firmware("lifecycle.tick_read H0\nipc.broadcast H0, 7\nhalt")
    b = make_brain(root, {"listen": listener, "talk": talker})
    b.tick()
    assert hot(b, "listen", 0) == [1, 0]          # subscribed: H[target][0] = 1, shape kept
    assert hot(b, "listen", 1) == [0]             # nothing delivered yet; the broadcast of tick 1 ...
    b.tick()
    assert_clean(b)
    assert hot(b, "listen", 1) == [1]             # ... arrives at tick 2
    assert hot(b, "listen", 2) == [1] and hot(b, "listen", 3) == [1]   # peek keeps the message
    assert hot(b, "listen", 4) == [1]             # pop takes it
    assert hot(b, "listen", 5) == [0]             # empty mailbox reads as [0]
    assert [m.tolist() for m in b.ipc.mailboxes[7]] == [[2]]   # tick 2's broadcast stays queued


def test_a_broadcast_does_not_echo_to_its_sender(root):
    both = firmware("ipc.subscribe H0, 3\nipc.broadcast H1, 3\nipc.recv_signal H2, 0\nhalt",
                    "H0: i32[1]\nH1: i32[1]\nH2: i32[1]")
    b = make_brain(root, {"self": both})
    set_hot(b, "self", 1, [5])
    b.tick()
    b.tick()
    assert_clean(b)
    assert hot(b, "self", 2) == [0]


BARRIER_WAITER = firmware("ipc.barrier_wait 1\nneuro.field_slice_read H0, 0, 0\nhalt", "H0: i32[1]")
BARRIER_WRITER = firmware("lifecycle.tick_read H0\nneuro.field_slice_write H0, 0, 0\nipc.barrier_wait 1\nhalt",
                          "H0: i32[1]")


def test_barrier_releases_when_every_running_region_arrives(root):
    # the waiter runs first; it only reads after the writer (declared later) wrote this tick's value
    b = make_brain(root, {"waiter": BARRIER_WAITER, "writer": BARRIER_WRITER})
    for t in (1, 2, 3):
        b.tick()
        assert hot(b, "waiter", 0)[0] == t
    assert_clean(b)
    assert not b.ipc.barriers


def test_without_the_barrier_the_reader_sees_last_ticks_value(root):
    # control for the test above: the same pair without barrier_wait reads one tick late
    b = make_brain(root, {"waiter": firmware("neuro.field_slice_read H0, 0, 0\nhalt", "H0: i32[1]"),
                          "writer": firmware("lifecycle.tick_read H0\nneuro.field_slice_write H0, 0, 0\nhalt")})
    b.tick()
    b.tick()
    assert hot(b, "waiter", 0)[0] == 1


def test_regions_waiting_at_different_barriers_are_trapped_not_hung(root):
    b = make_brain(root, {"a": firmware("ipc.barrier_wait 1\nhalt"), "b": firmware("ipc.barrier_wait 2\nhalt"),
                          "c": firmware("lifecycle.tick_read H0\nstore_output H0\nhalt")})
    b.tick()
    for name in ("a", "b"):    # the deadlock trap names the region, pc, op and the barriers
        r = b.region(name)
        assert r.traps == 1 and r.last_trap.startswith(f"region {name}: pc 0: BarrierWait: deadlock")
        assert "[1, 2]" in r.last_trap
    assert_clean(b, "c")
    assert b.region("c").output.tolist() == [1] and not b.ipc.barriers


def test_atomic_cas_swaps_only_when_expected_matches(root):
    cas = firmware("ipc.atomic_cas H0, H1, H2\nhalt", "H0: i32[1]\nH1: i32[1]\nH2: i32[1]")
    b = make_brain(root, {"first": cas, "second": cas})
    for name, desired in (("first", 11), ("second", 22)):
        set_hot(b, name, 0, [5])                  # cell address
        set_hot(b, name, 1, [0])                  # expected
        set_hot(b, name, 2, [desired])
    b.tick()
    assert_clean(b)
    assert hot(b, "first", 0) == [0]              # old value: swapped
    assert hot(b, "second", 0) == [11]            # saw first's value: not swapped
    assert b.ipc.cells[5] == 11


def test_ipc_bad_input_traps_and_the_brain_keeps_running(root):
    b = make_brain(root, {"bad_send": firmware("ipc.send_signal H0, 9\nhalt"),
                          "bad_cas": firmware("ipc.atomic_cas H0, H1, H2\nhalt"),
                          "bad_src": firmware("ipc.send_signal H5, 0\nhalt"),
                          "ok": firmware("lifecycle.tick_read H0\nstore_output H0\nhalt")})
    b.tick()
    assert_trapped(b, "bad_send", "pc 0", "SendSignal", "region id 9 out of range")
    assert_trapped(b, "bad_cas", "AtomicCas", "H0", "not allocated")
    assert_trapped(b, "bad_src", "SendSignal", "H5", "not allocated")
    assert_clean(b, "ok")
    assert b.region("ok").output.tolist() == [1]
    assert not b.ipc._pending and not b.ipc.cells
