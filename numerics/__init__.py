"""Evaluation and simulation: theory expressions to numbers, and the papers' networks in torch.

Importing the package asks torch's CPU allocator for transparent huge pages on large buffers (unless the
environment already says otherwise): a chunk of networks is hundreds of MB of fresh memory, and faulting it in
4 KiB pages cost about as much as drawing its weights (0.19 s against 0.21 s per 32 networks at N = 512, L = 4;
0.04 s with huge pages).  torch reads the variable at its first allocation, so it is set before any is made;
``THP_MEM_ALLOC_ENABLE=0`` turns it off.  It changes where memory lives, never a number.
"""
import os

os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")
