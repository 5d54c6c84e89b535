"""Inter-region messaging: deterministic delivery, channels, mailboxes, barriers, CAS cells.

Messages sent during tick *t* are delivered at the start of tick *t+1*, in (sender id, send order)
order, so a brain's behaviour never depends on the order regions happen to run in.
"""
from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

import numpy as np

from ..errors import HostError

MAX_QUEUE = 256          # per inbox / mailbox: the oldest message is dropped beyond this
MAX_PENDING = 4096       # undelivered messages a tick may queue (all regions): more is refused (memory bound)


@dataclass(order=True)
class Message:
    sender: int
    seq: int
    payload: np.ndarray = field(compare=False)


class IpcHub:
    def __init__(self) -> None:
        self._pending: list[tuple[int, Message]] = []          # (receiver, message), this tick
        self.inboxes: dict[int, dict[int, deque[np.ndarray]]] = defaultdict(lambda: defaultdict(deque))
        self.subscribers: dict[int, set[int]] = defaultdict(set)   # channel → region ids
        self.mailboxes: dict[int, deque[np.ndarray]] = defaultdict(deque)
        self.cells: dict[int, int] = defaultdict(int)               # CAS memory
        self.barriers: dict[int, set[int]] = defaultdict(set)       # barrier → waiting regions
        self._seq = 0
        self.delivered = 0
        self.dropped = 0

    def send(self, sender: int, receiver: int, payload: np.ndarray) -> None:
        if len(self._pending) >= MAX_PENDING:
            raise HostError(f"SendSignal: memory limit: the send queue holds {MAX_PENDING} undelivered "
                            f"messages (region {sender} sends faster than ticks deliver)")
        self._seq += 1
        self._pending.append((receiver, Message(sender, self._seq, payload.copy())))

    def broadcast(self, sender: int, channel: int, payload: np.ndarray) -> int:
        n = 0
        for rid in sorted(self.subscribers.get(channel, ())):
            if rid != sender:
                self.send(sender, rid, payload)
                n += 1
        return n

    def subscribe(self, region: int, channel: int) -> None:
        self.subscribers[channel].add(region)

    def deliver(self) -> None:
        """Move this tick's messages into the inboxes (called between ticks)."""
        for receiver, msg in sorted(self._pending, key=lambda rm: (rm[1].sender, rm[1].seq)):
            q = self.inboxes[receiver][msg.sender]
            q.append(msg.payload)
            if len(q) > MAX_QUEUE:
                q.popleft()
                self.dropped += 1
            self.delivered += 1
        self._pending.clear()

    def recv(self, receiver: int, sender: int) -> np.ndarray | None:
        q = self.inboxes[receiver].get(sender)
        return q.popleft() if q else None

    def mailbox_push(self, mailbox: int, payload: np.ndarray) -> None:
        q = self.mailboxes[mailbox]
        q.append(payload.copy())
        if len(q) > MAX_QUEUE:
            q.popleft()
            self.dropped += 1

    def mailbox_peek(self, mailbox: int) -> np.ndarray | None:
        q = self.mailboxes.get(mailbox)
        return q[0] if q else None

    def mailbox_pop(self, mailbox: int) -> np.ndarray | None:
        q = self.mailboxes.get(mailbox)
        return q.popleft() if q else None

    def cas(self, address: int, expected: int, desired: int) -> int:
        old = self.cells[address]
        if old == expected:
            self.cells[address] = desired
        return old

    def arrive(self, barrier: int, region: int) -> None:
        if region in self.barriers[barrier]:
            raise HostError(f"region {region} waits twice at barrier {barrier}")
        self.barriers[barrier].add(region)

    def release(self, barrier: int) -> set[int]:
        return self.barriers.pop(barrier, set())
