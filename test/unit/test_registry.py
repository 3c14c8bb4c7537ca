"""passes/registry.py: kiln passes as frozen dataclasses, their CLI options and the registry."""

from __future__ import annotations

import dataclasses
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from kiln.passes import registry
from kiln.passes.registry import KilnPass, register


@dataclasses.dataclass(frozen=True)
class Demo(KilnPass):
    """A pass with one option of every supported type (not registered)."""

    name = "kiln-demo"
    count: int = 4
    flag: bool = False
    mode: str = "fast"
    sizes: tuple[int, ...] = ()


@dataclasses.dataclass(frozen=True)
class FloatOption(KilnPass):
    """A pass with an option type the CLI parser does not support."""

    name = "kiln-float-option"
    scale: float = 1.0


# --- from_options / options_text -----------------------------------------------


def test_from_options_parses_every_type():
    parsed = Demo.from_options("count=8 flag=true mode=exact sizes=1,2,3")
    assert parsed == Demo(count=8, flag=True, mode="exact", sizes=(1, 2, 3))


def test_from_options_empty_is_the_default():
    assert Demo.from_options("") == Demo()
    assert Demo.from_options("  \n ") == Demo()


@pytest.mark.parametrize(
    ("text", "value"), [("flag", True), ("flag=1", True), ("flag=false", False), ("flag=0", False)]
)
def test_bool_spellings(text, value):
    assert Demo.from_options(text).flag is value


def test_options_are_dashed_on_the_command_line():
    assert Demo.from_options("sizes=4,8").sizes == (4, 8)
    fold = registry.lookup("kiln-fold-constant-layout")
    assert fold.from_options("max-elements=100").max_elements == 100
    with pytest.raises(ValueError, match="no option 'max_elements'"):
        fold.from_options("max_elements=100")


@pytest.mark.parametrize(
    "instance",
    [
        Demo(),
        Demo(count=1),
        Demo(flag=True, sizes=(16, 2)),
        Demo(count=0, flag=False, mode="slow", sizes=(7,)),
    ],
)
def test_options_text_round_trips(instance):
    assert type(instance).from_options(instance.options_text()) == instance


def test_options_text_lists_only_non_default_options():
    assert Demo().options_text() == ""
    assert Demo(flag=True, sizes=(1, 2)).options_text() == "flag=true sizes=1,2"
    assert Demo(count=9).spec() == "kiln-demo{count=9}"
    assert Demo().spec() == "kiln-demo"


def test_unknown_option_names_the_known_options():
    with pytest.raises(ValueError) as info:
        Demo.from_options("count=2 colour=red")
    message = str(info.value)
    assert "kiln-demo" in message and "'colour'" in message
    assert "options: count, flag, mode, sizes" in message


def test_unknown_option_of_a_pass_without_options():
    vectorize = registry.lookup("kiln-vectorize")
    with pytest.raises(
        ValueError, match=r"kiln-vectorize' has no option 'unroll' \(options: none\)"
    ):
        vectorize.from_options("unroll=2")


@pytest.mark.parametrize(
    ("text", "option"),
    [
        ("count=many", "count"),
        ("count=", "count"),
        ("count=1.5", "count"),
        ("flag=yes", "flag"),
        ("sizes=1,x", "sizes"),
    ],
)
def test_bad_values_raise_value_error(text, option):
    with pytest.raises(ValueError, match=f"option '{option}': cannot read"):
        Demo.from_options(text)


def test_unsupported_option_type_raises_type_error():
    with pytest.raises(TypeError, match="option 'scale' has unsupported type"):
        FloatOption.from_options("scale=2.0")


# --- the registry --------------------------------------------------------------


TEST_ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(registry.PASS_MODULES))
def test_every_table_name_is_defined_by_its_module(name):
    """The table's module, once imported, registers exactly the name the table gives it."""
    module = importlib.import_module(registry.PASS_MODULES[name])
    defined = [
        v.name
        for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, KilnPass) and v.__module__ == module.__name__
    ]
    assert defined == [name], f"{module.__name__} defines {defined}, the table says {name}"
    assert registry.lookup(name).__module__ == module.__name__


def test_every_registered_pass_is_in_the_table():
    own = {n: c for n, c in registry.all_passes().items() if c.__module__.startswith("kiln.")}
    assert sorted(own) == sorted(registry.PASS_MODULES)


@pytest.mark.parametrize("name", sorted(registry.PASS_MODULES))
def test_every_pass_has_a_lit_test_that_runs_it(name):
    """Some lit file under test/ names the pass in a RUN line's pipeline (STYLE.md: a lit test per pass)."""
    pattern = re.compile(r"^// RUN:.*[(,{ ]" + re.escape(name) + r"\b", re.M)
    files = [p for p in TEST_ROOT.rglob("*.mlir") if "Output" not in p.parts]
    assert any(pattern.search(p.read_text()) for p in files), f"no lit RUN line runs {name}"


@pytest.mark.parametrize("name", sorted(registry.PASS_MODULES))
def test_every_pass_is_tested_in_a_file_named_after_it_beside_its_source(name):
    """Tests mirror the source tree (STYLE.md): kiln-gpu-map, defined in
    kiln.lowering.cuda.gpu_map, is run by test/lowering/cuda/gpu-map.mlir."""
    folder = registry.PASS_MODULES[name].split(".")[1:-1]
    path = TEST_ROOT.joinpath(*folder, name.removeprefix("kiln-") + ".mlir")
    assert path.exists(), f"{name}: no {path.relative_to(TEST_ROOT.parent)}"
    pattern = re.compile(r"^// RUN:.*[(,{ ]" + re.escape(name) + r"\b", re.M)
    assert pattern.search(path.read_text()), f"no RUN line of {path.name} runs {name}"


def test_lookup_imports_only_the_pass_asked_for():
    """A lookup loads one pass module, not the whole table (checked in a fresh process)."""
    code = (
        "import sys; from kiln.passes import registry; registry.lookup('kiln-expand-powi');"
        "print(sorted(m for m in registry.PASS_MODULES.values() if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['kiln.passes.expand_powi']"


@pytest.mark.parametrize("name", sorted(registry.all_passes()))
def test_registered_pass_contract(name):
    cls = registry.lookup(name)
    assert cls.name == name and name.startswith("kiln-")
    assert registry.summary(cls) and not registry.summary(cls).startswith(" ")
    default = cls()
    with pytest.raises(dataclasses.FrozenInstanceError):
        default.__setattr__("_x", 1)
    assert cls.from_options(default.options_text()) == default
    assert default.spec() == name


NON_DEFAULT_SPECS = [
    "kiln-tile-and-fuse{threads=4}",
    "kiln-pack-contractions{vector-width=16}",
    "kiln-fold-constant-layout{max-elements=1024}",
    "kiln-approximate-math{functions=exp,tanh}",
]


@pytest.mark.parametrize("spec", NON_DEFAULT_SPECS)
def test_spec_round_trips_through_the_registry(spec):
    from kiln.pipeline import parse_kiln_spec

    instance = parse_kiln_spec(spec)
    assert instance.spec() == spec
    assert parse_kiln_spec(instance.spec()) == instance


def test_lookup_of_an_unknown_name_is_none():
    assert registry.lookup("kiln-no-such-pass") is None
    assert registry.lookup("canonicalize") is None


def test_register_rejects_a_name_without_the_kiln_prefix():
    class Bad(KilnPass):
        """Docstring."""

        name = "fuse-things"

    with pytest.raises(ValueError, match="start with 'kiln-'"):
        register(Bad)
    assert registry.lookup("fuse-things") is None


def test_register_rejects_a_pass_without_docstring():
    class Undocumented(KilnPass):
        name = "kiln-undocumented"

    with pytest.raises(ValueError, match="needs a docstring"):
        register(Undocumented)
    assert registry.lookup("kiln-undocumented") is None


@pytest.mark.parametrize(
    "spec",
    [
        "kiln-tile-and-fuse{threads=0}",
        "kiln-pack-contractions{vector-width=3}",
        "kiln-approximate-math{functions=sin}",
    ],
)
def test_out_of_range_options_are_rejected_at_construction(spec):
    from kiln.pipeline import parse_kiln_spec

    with pytest.raises(ValueError):
        parse_kiln_spec(spec)
