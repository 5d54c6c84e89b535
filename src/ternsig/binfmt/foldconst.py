"""Constants of the reference's 64-bit content fold, shared by its interpreted and compiled forms."""

SEED = 0x9E3779B97F4A7C15
MULT = 0x85EBCA6B
MASK64 = 0xFFFF_FFFF_FFFF_FFFF
