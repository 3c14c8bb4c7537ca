"""The ``kiln`` dialect's module where MLIR's Python bindings look for it.

The bindings import ``<prefix>.<namespace>`` for each dialect whose ops they
wrap, over their search prefixes (``torch_mlir.dialects``, and ``kiln.dialects``
which ``kiln_dialect`` appends), and remember only a module they found: with none
to find, every ``kiln.*`` op that reached Python retried the whole import path
search (a quantized ResNet-18's 3,400 ``kiln.vpdpbusd`` ops made 1.3 million
failed imports, 40 of its 60 s of compile time). The ops are defined in
``kiln_dialect``; this module only gives the bindings something to find.
"""

from kiln.dialects.kiln_dialect import *  # noqa: F403
