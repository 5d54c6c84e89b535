"""The core ISA (extension id 0) declared as data.

Opcode numbers are the reference's ``action.rs``; operand layouts are how the reference assembler
encodes each mnemonic (fixed bytes included, so our bytes equal its bytes). Core instructions the
reference cannot spell (call, return, reset, alloc_tensor, free_tensor, wire_forward, wire_skip,
grow_neuron, prune_neuron, init_random) get mnemonics here, encoding operands where the reference
interpreter reads them. Handlers live in the ``ops_*`` modules beside this file.
"""
from __future__ import annotations

from ...isa.spec import ExtensionTable, Layer

K, B, E, R, L = Layer.KERNEL, Layer.BOOT, Layer.EVOLUTIONARY, Layer.RUNTIME, Layer.LEARNING

CORE = ExtensionTable(0x0000, "core", doc="The core ISA: system, registers, forward, learning, control flow.",
                      unknown_opcode_format="Unknown opcode: 0x{opcode:04X}")

_NONE = "fix@A=0xFF fix@B=0xFF"

# opcode, mnemonic, layout, layer, flags (isa.spec.FLAGS), doc[, aliases]
_ROWS: list[tuple] = [
    # system
    (0x0000, "nop", _NONE, K, "", "Do nothing."),
    (0x0001, "halt", _NONE, K, "terminator", "Stop the program (status halt)."),
    (0x0003, "reset", _NONE, K, "", "Jump to instruction 0 and clear the core loop stack."),
    # register management
    (0x1000, "alloc_tensor", "reg@A imm8@B imm16@CD=0", B, "structural allocates cost=imm(B)*imm(CD)+imm(B)", "Allocate a zeroed hot or cold register of shape [B] or [B, C:D]."),
    (0x1001, "free_tensor", "reg@A", B, "structural", "Free an allocated register."),
    (0x1004, "copy_reg", "reg@A reg@B", K, "", "Copy hot register B into A.", ("copy", "mov")),
    (0x1006, "zero_reg", "reg@A fix@B=0xFF", K, "", "Fill hot register A with zeros.", ("zero",)),
    (0x1007, "load_input", "reg@A fix@B=0xFF", R, "loads_input", "Load the input buffer into hot register A (shape [len])."),
    (0x1008, "store_output", "fix@A=0xFF reg@B", R, "stores_output", "Copy hot register B into the output buffer."),
    (0x1009, "load_target", "reg@A fix@B=0xFF", L, "", "Load the target buffer into hot register A."),
    # structure
    (0x2003, "wire_forward", "reg@A reg@B reg@C", B, "structural", "A = B·C, ungated ternary matmul (result kept only for A < 16)."),
    (0x2004, "wire_skip", "reg@A reg@B reg@C", B, "structural", "A = B + C broadcast, saturating (result kept only for A < 16)."),
    (0x2008, "grow_neuron", "reg@A imm8@C imm8@D", E, "structural writes_weights cost=imm(C)*cols(A)", "Append C neurons (rows) to cold A, LCG-initialised from seed D."),
    (0x2009, "prune_neuron", "reg@A imm8@C", E, "structural writes_weights", "Remove neuron (row) C of cold A."),
    (0x200A, "init_random", "reg@A imm8@D", E, "structural writes_weights", "Fill cold A with LCG-random signals from seed D."),
    # forward
    (0x3001, "add", "reg@A reg@B reg@C", R, "masks_third", "A = B + C (hot: saturating; cold C: bias ×255). C is read & 0x0F."),
    (0x3002, "mul", "reg@A reg@B reg@C", R, "masks_third", "A = (B·C) >> 8, wrapping to i32. C is read & 0x0F."),
    (0x3003, "relu", "reg@A reg@B", R, "", "A = max(0, B)."),
    (0x3004, "sigmoid", "reg@A reg@B gain@D=4.0", R, "", "A = clamp(((B·gain) >> 10) + 128, 0, 255); gain = D (0 → 64)."),
    (0x3005, "tanh", "reg@A reg@B", R, "", "Integer tanh into 0..255."),
    (0x3006, "softmax", "reg@A reg@B", R, "", "Integer softmax scaled to 255."),
    (0x3007, "gelu", "reg@A reg@B", R, "", "Integer GELU."),
    (0x3009, "shift", "reg@A reg@B imm8@C", R, "", "A = B >> C (arithmetic)."),
    (0x300A, "clamp", "reg@A reg@B imm8@C imm8@D", R, "", "A = clamp(B, C, D) with raw byte bounds."),
    (0x300E, "sub", "reg@A reg@B reg@C", R, "masks_third", "A = B − C, saturating. C is read & 0x0F."),
    (0x300F, "cmp_gt", "reg@A reg@B reg@C", R, "masks_third", "A = 255 where B > C else 0. C is read & 0x0F."),
    (0x3010, "max_reduce", "reg@A reg@B", R, "", "A = [max(B)] ([0] if empty)."),
    (0x3011, "set", "reg@A imm16@CD", K, "", "A = [C:D] (u16, zero-extended).", ("set_const",)),
    # ternary
    (0x4000, "ternary_matmul", "reg@A reg@B reg@C", R, "masks_third", "A = W(B)·x(C), temperature-gated when B has temperatures."),
    (0x4002, "dequantize", "reg@A reg@B scale@CD", R, "", "Output buffer = B >> shift (C:D, 0 → 8)."),
    (0x4009, "ternary_add_bias", "reg@A reg@B reg@C", R, "masks_third", "A = B + bias(C)·256, clamped."),
    (0x400A, "embed_lookup", "reg@A reg@B reg@C", R, "masks_third cost=n(C)*cols(B)", "A = rows of table B at indices C."),
    (0x400B, "reduce_avg", "reg@A reg@B imm8@C imm8@D", R, "", "A = [mean of B[C .. C+D]] (i32 sum)."),
    (0x400C, "slice", "reg@A reg@B imm8@C imm8@D", R, "", "A = B[C .. C+D] (clamped).", ("narrow",)),
    (0x400D, "argmax", "reg@A reg@B", R, "", "A = [last index of max(B)]."),
    (0x400E, "concat", "reg@A reg@B reg@C", R, "masks_third", "A = B ++ C.", ("cat",)),
    (0x400F, "squeeze", "reg@A reg@B imm8@C=0", R, "", "A = B (copy)."),
    (0x4010, "unsqueeze", "reg@A reg@B imm8@C=0", R, "", "A = B (copy)."),
    (0x4011, "transpose", "reg@A reg@B imm8@C=0 imm8@D=1", R, "", "A = B (copy)."),
    (0x4012, "gate_update", "reg@A reg@B reg@C reg@D", R, "masks_third", "A = (g·C + (255−g)·D)/255 with g = clamp(B, 0, 255)."),
    (0x4013, "ternary_batch_matmul", "reg@A reg@B reg@C", R, "masks_third cost=rows(C)*n(B)", "Batched ternary matmul, output [batch, out]."),
    (0x4014, "embed_sequence", "reg@A reg@B imm8@C", R, "cost=imm(C)*cols(B)", "A = rows 0..C of table B."),
    (0x4015, "reduce_mean", "reg@A reg@B imm8@C", R, "", "A = mean of B over dimension C.", ("mean_dim",)),
    # learning
    (0x5000, "mark_eligibility", "reg@A reg@B layer@C", L, "", "No-op in the core ISA (kept for compatibility).", ("mark_elig",)),
    (0x5004, "add_babble", "reg@A fix@B=0xFF layer@C", L, "", "Add deterministic exploration noise scaled by babble_scale to A."),
    (0x5012, "mastery_update", "reg@A reg@B reg@C scale@D=15 threshold_div@-=4", L, "masks_third mastery",
     "Accumulate mastery pressure for cold A from activity B and direction C (dopamine-gated)."),
    (0x5013, "mastery_commit", "reg@A fix@B=0xFF threshold@D=50 step@-=5", L, "writes_weights mastery",
     "Commit pressure above threshold to cold A (weaken before flip, temperature-scaled)."),
    # control flow
    (0x6000, "loop", "fix@A=0xFF fix@B=0xFF imm16@CD", K, "loop=start", "Repeat the body C:D times (0 runs it once)."),
    (0x6001, "end_loop", _NONE, K, "loop=end", "End of a loop body."),
    (0x6002, "break", _NONE, K, "loop=break", "Pop the innermost loop and skip the next instruction."),
    (0x6006, "call", "label@CD", K, "branch call", "Push the return address and jump to C:D."),
    (0x6007, "return", _NONE, K, "ret terminator", "Pop the return address (halt if the call stack is empty)."),
    (0x6008, "jump", "label@CD", K, "branch terminator", "Jump to C:D."),
    (0x6009, "if_zero", "reg@A label@CD", K, "branch", "Jump to C:D when every element of A is zero."),
    (0x600A, "if_nonzero", "reg@A label@CD", K, "branch", "Jump to C:D when any element of A is non-zero."),
]

for _row in _ROWS:
    CORE.declare(_row[0], _row[1], _row[2], _row[3], _row[5], flags=_row[4], aliases=_row[6] if len(_row) > 6 else ())
