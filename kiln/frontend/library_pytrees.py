"""Containers of model libraries that torch.export must flatten: Hugging Face's caches.

Hugging Face causal LMs and encoder-decoders return their key/value cache by
default (``use_cache=True``: a ``DynamicCache`` or ``EncoderDecoderCache`` in
the ``ModelOutput``), an object torch.export cannot flatten ("Found <class
DynamicCache> in output, which is not a known type"). transformers registers
its cache classes as pytree nodes for its own exporter
(``transformers.exporters.exporter_dynamo.register_cache_pytrees_for_model``);
kiln calls it before tracing a model that contains a transformers model, so
the compiled model returns the cache as the model does, its tensors computed
by kiln.

Pre: ``model`` is the module about to be exported.
Post: where the model contains a transformers model, transformers' cache
classes are pytree nodes (process-wide, as transformers' exporter leaves them).
"""

from __future__ import annotations

import torch


def register_library_pytrees(model: torch.nn.Module) -> None:
    """Registers the cache classes of the transformers model inside ``model``, if any."""
    library_model = next(
        (m for m in model.modules() if type(m).__module__.startswith("transformers.models.")),
        None,
    )
    if library_model is None:
        return
    try:
        from transformers.exporters.exporter_dynamo import register_cache_pytrees_for_model
    except ImportError:  # transformers < 5.x: its executorch integration registers DynamicCache
        try:
            from transformers.integrations.executorch import (
                register_dynamic_cache_export_support,
            )
        except ImportError:
            return
        register_dynamic_cache_export_support()
        return
    register_cache_pytrees_for_model(library_model)
