"""TVMR v1 and legacy TERN binary files (the public API is :mod:`ternsig.binary`).

``layout`` holds sizes, headers and checksums; ``writer`` turns a Program into TVMR v1 bytes;
``reader`` decodes TVMR v1 and legacy TERN; ``render`` gives the corpus JSON views.
"""
