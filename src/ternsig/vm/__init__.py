"""The machine: registers and buffers (:mod:`.state`), the interpreter loop (:mod:`.interpreter`),
what a run hands back (:mod:`.results`, :mod:`.domainops`) and the array-level API mixed into the
interpreter (:mod:`.access`, :mod:`.training`, :mod:`.savestate`)."""
