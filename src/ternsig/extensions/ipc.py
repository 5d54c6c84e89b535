"""The ipc extension (0x0009): signals, mailboxes, barriers and compare-and-swap between regions.

Every instruction yields; the host owns the mailboxes and the shared state. By convention an empty
mailbox reads as ``target[0] = 0``, and ATOMIC_CAS writes the old shared value into the target.
All are runtime instructions (seed 003).
"""
from __future__ import annotations

from ..isa.spec import ExtensionTable, Layer
from ._yielding import Row, declare_yields

EXT_ID = 0x0009
R = Layer.RUNTIME

TABLE = ExtensionTable(EXT_ID, "ipc", doc="Inter-region signals, mailboxes, barriers and atomics.")

_ROWS: list[Row] = [
    (0x0000, "send_signal", "reg@A imm8@B", R, "Send H[A] to region B. Yields SendSignal.",
     "SendSignal", {"source": "A", "region_id": "B"}),
    (0x0001, "recv_signal", "reg@A imm8@B", R, "H[A] = signal received from region B. Yields RecvSignal.",
     "RecvSignal", {"target": "A", "region_id": "B"}),
    (0x0002, "broadcast", "reg@A imm8@B", R, "Broadcast H[A] on channel B. Yields Broadcast.",
     "Broadcast", {"source": "A", "channel": "B"}),
    (0x0003, "subscribe", "reg@A imm8@B", R, "Deliver region B's signals into H[A]. Yields Subscribe.",
     "Subscribe", {"target": "A", "region_id": "B"}),
    (0x0004, "mailbox_peek", "reg@A imm8@B", R, "H[A] = front of mailbox B, kept (empty: [0]). Yields MailboxPeek.",
     "MailboxPeek", {"target": "A", "mailbox_id": "B"}),
    (0x0005, "mailbox_pop", "reg@A imm8@B", R, "H[A] = front of mailbox B, removed (empty: [0]). Yields MailboxPop.",
     "MailboxPop", {"target": "A", "mailbox_id": "B"}),
    (0x0006, "barrier_wait", "imm8@A", R, "Wait at barrier A. Yields BarrierWait.",
     "BarrierWait", {"barrier_id": "A"}),
    (0x0007, "atomic_cas", "reg@A reg@B reg@C", R,
     "If shared[A] == H[B] set it to H[C]; H[A] = old value. Yields AtomicCas.",
     "AtomicCas", {"target": "A", "expected": "B", "desired": "C"}),
]
declare_yields(TABLE, _ROWS)
