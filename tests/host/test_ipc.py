import numpy as np
import pytest

from ternsig.errors import HostError
from ternsig.host.ipc import IpcHub


def test_messages_arrive_next_tick_in_sender_order():
    hub = IpcHub()
    hub.send(2, 0, np.array([2]))
    hub.send(1, 0, np.array([1]))
    assert hub.recv(0, 1) is None                 # not delivered before the tick boundary
    hub.deliver()
    assert hub.recv(0, 1).tolist() == [1] and hub.recv(0, 2).tolist() == [2]
    assert hub.recv(0, 1) is None


def test_broadcast_reaches_subscribers_but_not_the_sender():
    hub = IpcHub()
    for rid in (0, 1, 2):
        hub.subscribe(rid, 7)
    assert hub.broadcast(1, 7, np.array([5])) == 2
    hub.deliver()
    assert hub.recv(0, 1).tolist() == [5] and hub.recv(2, 1).tolist() == [5] and hub.recv(1, 1) is None


def test_mailboxes_cas_and_barriers():
    hub = IpcHub()
    hub.mailbox_push(3, np.array([9, 9]))
    assert hub.mailbox_peek(3).tolist() == [9, 9]
    assert hub.mailbox_pop(3).tolist() == [9, 9] and hub.mailbox_pop(3) is None
    assert hub.cas(10, 0, 5) == 0 and hub.cas(10, 0, 6) == 5 and hub.cells[10] == 5
    hub.arrive(1, 0)
    with pytest.raises(HostError):
        hub.arrive(1, 0)
    assert hub.release(1) == {0}
