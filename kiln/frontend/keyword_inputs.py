"""Keyword inputs: models compiled and called with inputs by name, as Hugging Face models are.

``kiln.compile(model, input_ids, example_kwargs={"attention_mask": mask})``
compiles ``model(input_ids, attention_mask=mask)``; the compiled model is then
called like the model, positionally or by name
(``compiled(**tokenizer(text, return_tensors="pt"))``), whichever way it was
compiled. The compiled function itself takes positional tensors only:

- at compile time the example inputs are bound to ``forward``'s signature;
  when any is passed by name the model is traced through ``KeywordInputs``, a
  module whose ``forward(*values)`` calls the model with the bound parameters
  in signature order (positional-only ones positionally, the others by name);
- each call is bound to the same signature (``KeywordCall``) and its values
  are passed in the compiled order. A parameter the compile did not pass may
  be passed with its default value (``token_type_ids=None``); any other
  difference is an ``InputMismatchError`` naming the parameters.

Models without a Python signature (MLIR text, ONNX files) take positional
inputs only; ``example_kwargs`` with them is an error.
"""

from __future__ import annotations

import inspect
from collections import OrderedDict

import torch

from kiln.errors import InputMismatchError, OptionError
from kiln.frontend.export import _named_forward


def forward_signature(model) -> inspect.Signature | None:
    """The signature ``model`` is called with (``forward``'s for a module), or None."""
    target = model.forward if isinstance(model, torch.nn.Module) else model
    try:
        return inspect.signature(target)
    except (TypeError, ValueError):  # a builtin, a C extension's callable
        return None


class KeywordInputs(torch.nn.Module):
    """``model`` traced with all its bound inputs positional: ``forward(*values)`` calls
    ``model`` with parameter ``names[i]`` set to ``values[i]``.

    ``kiln_wrapped_model`` names the user's model for file and symbol names.
    """

    def __init__(self, model, signature: inspect.Signature, names: tuple[str, ...]):
        super().__init__()
        if isinstance(model, torch.nn.Module):
            self.inner = model  # its parameters and buffers are the program's
            self._function = None
        else:
            self._function = _named_forward(model)  # a frame named forward keeps source lines
        self._signature = signature
        self._names = names

    @property
    def kiln_wrapped_model(self):
        # Not ``inner or function``: an empty nn.Sequential is falsy.
        return self.inner if self._function is None else self._function

    def forward(self, *values):
        bound = inspect.BoundArguments(
            self._signature, OrderedDict(zip(self._names, values, strict=True))
        )
        return self.kiln_wrapped_model(*bound.args, **bound.kwargs)


class KeywordCall:
    """A compiled model called like ``forward``: each call's inputs bound to ``signature``
    and passed to ``compiled`` as it was compiled: one value per parameter of ``names`` in
    that order (``by_name``: traced through ``KeywordInputs``), else as positional
    arguments (a ``*args`` parameter's values spread).

    Everything else (``save()``, ``profile()``, ``set_threads()``...) is ``compiled``'s.
    """

    def __init__(
        self, compiled, signature: inspect.Signature, names: tuple[str, ...], by_name: bool
    ):
        self.compiled = compiled
        self._forward_signature = signature
        self._names = names
        self._by_name = by_name
        # Positional calls go straight to ``compiled`` (whose errors name the expected
        # inputs), except for a keyword compile whose parameters are not a positional prefix.
        positional = [p.name for p in signature.parameters.values() if _is_positional(p)]
        self._direct = not by_name or tuple(positional[: len(names)]) == names

    def __getattr__(self, name: str):
        if name == "compiled" or name.startswith("_"):  # not set yet (copy, pickle)
            raise AttributeError(name)
        return getattr(self.compiled, name)

    def __call__(self, *args, **kwargs):
        if not kwargs and self._direct:
            return self.compiled(*args)
        return self.compiled(*self.values(args, kwargs))

    def values(self, args: tuple, kwargs: dict) -> list:
        """The call's inputs as ``compiled`` takes them; InputMismatchError naming the
        parameters that differ from the compile's."""
        signature, names = self._forward_signature, self._names
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as err:
            raise InputMismatchError(
                f"the inputs do not fit the model's signature: {err} (it was compiled with "
                f"the inputs {', '.join(names) or '(none)'})"
            ) from None
        given = bound.arguments
        missing = [name for name in names if name not in given]
        extra = [
            name
            for name, value in given.items()
            if name not in names and not _is_default(signature.parameters[name], value)
        ]
        if missing or extra:
            problems = []
            if missing:
                problems.append(f"does not pass {', '.join(missing)}")
            if extra:
                problems.append(
                    f"passes {', '.join(extra)}, which the compile did not (compile with it: "
                    "example_kwargs={...})"
                )
            raise InputMismatchError(
                f"the model was compiled with the inputs {', '.join(names) or '(none)'}; "
                f"this call {' and '.join(problems)}"
            )
        if self._by_name:
            return [given[name] for name in names]
        ordered = OrderedDict((name, given[name]) for name in names)
        return list(inspect.BoundArguments(signature, ordered).args)


def prepare(model, example_inputs: tuple, example_kwargs: dict | None, dynamic_shapes):
    """``(model, example_inputs, dynamic_shapes, signature, names)`` to compile.

    With keyword inputs the model becomes a ``KeywordInputs`` over the bound values and a
    ``dynamic_shapes`` dict keyed by parameter name becomes the spec of its ``*values``.
    ``signature`` is None where the model has none (calls are then positional only).
    """
    example_kwargs = dict(example_kwargs or {})
    signature = forward_signature(model) if callable(model) else None
    if signature is None:
        if example_kwargs:
            raise OptionError(
                "kiln.compile: example_kwargs= needs a PyTorch model or function (one with a "
                f"Python signature); {type(model).__name__} takes positional inputs only"
            )
        return model, example_inputs, dynamic_shapes, None, ()
    try:
        bound = signature.bind(*example_inputs, **example_kwargs)
    except TypeError as err:
        if example_kwargs:
            raise OptionError(
                f"kiln.compile: the example inputs do not fit the model: {err}"
            ) from None
        return model, example_inputs, dynamic_shapes, None, ()  # torch.export reports it
    names = tuple(bound.arguments)
    if not example_kwargs:
        return model, example_inputs, dynamic_shapes, signature, names
    if isinstance(dynamic_shapes, dict):
        unknown = sorted(set(dynamic_shapes) - set(names))
        if unknown:
            raise OptionError(
                f"kiln.compile: dynamic_shapes names {', '.join(unknown)}, which the example "
                f"inputs do not pass (they pass {', '.join(names)})"
            )
        # KeywordInputs.forward(*values): one positional argument, the tuple of values.
        dynamic_shapes = (tuple(dynamic_shapes.get(name) for name in names),)
    elif dynamic_shapes is not None:
        raise OptionError(
            "kiln.compile: with example_kwargs, give dynamic_shapes as a dict keyed by "
            "parameter name"
        )
    values = tuple(bound.arguments.values())
    return KeywordInputs(model, signature, names), values, dynamic_shapes, signature, names


def called_by_name(compiled, model, signature: inspect.Signature | None, names: tuple[str, ...]):
    """``compiled`` wrapped to take its inputs by name too (``KeywordCall``), where the
    model has a signature; else ``compiled`` itself. ``model``: what was compiled."""
    if signature is None:
        return compiled
    return KeywordCall(compiled, signature, names, by_name=isinstance(model, KeywordInputs))


def _is_positional(parameter: inspect.Parameter) -> bool:
    return parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)


def _is_default(parameter: inspect.Parameter, value) -> bool:
    """``value`` is ``parameter``'s default (a call may spell out a default it was compiled
    without: ``token_type_ids=None``)."""
    default = parameter.default
    if default is parameter.empty or isinstance(value, torch.Tensor):
        return False
    if value is default:
        return True
    try:
        return type(value) is type(default) and bool(value == default)
    except Exception:  # noqa: BLE001 - an object whose == is not a plain bool
        return False
