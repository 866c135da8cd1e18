"""Declared settings: one declaration gives the check, the reading of --set text, the listing and the schema."""
from __future__ import annotations

from dataclasses import dataclass

import jsonschema
import pytest

from numerics.settings_fields import Settings, declarations, setting, settings_schema


@dataclass(frozen=True)
class Toy(Settings):
    networks: int = setting(64, meaning="networks", low=2, why="an interval needs two")
    widths: tuple[int, ...] = setting((8, 16), meaning="widths", low=1, count=2, increasing=True, even=True)
    scales: tuple[float, ...] = setting((1.0, 2.0), meaning="scales", above=0,
                                        rule=(lambda v: v[0] == 1.0, "start with 1.0"))
    shapes: tuple[tuple[int, int], ...] = setting(((3, 4),), meaning="shapes", low=1)
    dtype: str = setting("float64", meaning="dtype", choices=("float32", "float64"))
    alpha: float | str = setting(1.0, meaning="step", above=0, choices=("theorem",))
    error: float = setting(0.1, meaning="error", above=0, below=1)
    order: float = setting(2.0, meaning="a norm order", low=1, finite=False)
    plain: int = 3

    def check(self) -> None:
        if self.networks < len(self.widths):
            raise ValueError("networks must be at least the number of widths")


@pytest.mark.parametrize("changes, message", [
    (dict(networks=1), "networks must be >= 2 (an interval needs two), got 1"),
    (dict(networks=2.0), "networks must be an integer, got 2.0"),
    (dict(widths=(8,)), "widths needs two or more increasing even values, got (8,)"),
    (dict(widths=(16, 8)), "widths needs two or more increasing even values, got (16, 8)"),
    (dict(widths=(7, 8)), "widths needs two or more increasing even values, got (7, 8)"),
    (dict(widths=(0, 8)), "widths must be >= 1 (every entry), got (0, 8)"),
    (dict(scales=(2.0, 1.0)), "scales must start with 1.0, got (2.0, 1.0)"),
    (dict(scales=(1.0, float("nan"))), "scales must be > 0 (every entry), got (1.0, nan)"),
    (dict(shapes=((3, 0),)), "shapes must be >= 1 (every entry), got ((3, 0),)"),
    (dict(dtype="float16"), "dtype must be one of float32, float64, got 'float16'"),
    (dict(alpha="fast"), "alpha must be > 0 or theorem, got 'fast'"),
    (dict(alpha=0.0), "alpha must be > 0 or theorem, got 0.0"),
    (dict(error=1.0), "error must lie in (0, 1), got 1.0"),
    (dict(networks=2, widths=(2, 4, 6)), "networks must be at least the number of widths"),
])
def test_a_refusal_is_one_sentence_from_the_declaration(changes, message):
    with pytest.raises(ValueError) as info:
        Toy(**changes)
    assert str(info.value) == message


def test_allowed_values_pass_and_an_undeclared_field_is_read_by_its_type():
    Toy(alpha="theorem", order=float("inf"), plain=-5)
    declared = declarations(Toy)
    assert declared["plain"].constraint() == "any" and declared["plain"].parse(" 7 ") == 7
    assert declared["order"].problem(float("inf")) is None and declared["error"].problem(float("inf")) is not None


@pytest.mark.parametrize("name, text, value", [
    ("widths", "8, 16", (8, 16)), ("widths", "[8, 16]", (8, 16)), ("shapes", "[[3, 4], [5, 6]]", ((3, 4), (5, 6))),
    ("alpha", "theorem", "theorem"), ("alpha", "0.5", 0.5), ("scales", "1", (1.0,)), ("dtype", " float32 ", "float32"),
])
def test_text_is_read_by_the_declared_type(name, text, value):
    assert declarations(Toy)[name].parse(text) == value


@pytest.mark.parametrize("name, text, message", [
    ("networks", "abc", "networks must be an integer, got 'abc'"),
    ("networks", "2.5", "networks must be an integer, got '2.5'"),
    ("error", "inf", "error must be finite, got 'inf'"),
    ("shapes", "3,4", "shapes needs 2 values per entry"),
    ("shapes", "[[3, 4]", "is not a TOML array"),
])
def test_unreadable_text_is_refused_by_name(name, text, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        declarations(Toy)[name].parse(text, name)


def test_the_listing_words_and_the_schema_come_from_the_same_declaration():
    declared = declarations(Toy)
    assert declared["networks"].constraint() == ">= 2 (an interval needs two)"
    assert declared["widths"].constraint() == "two or more increasing even values, each >= 1"
    assert declared["scales"].constraint() == "one or more values, each > 0; must start with 1.0"
    assert declared["alpha"].constraint() == "> 0 or theorem"
    schema = settings_schema(Toy)
    assert schema["properties"]["networks"] == {"type": "integer", "minimum": 2, "default": 64,
                                                "description": "networks; >= 2 (an interval needs two)"}
    assert schema["properties"]["dtype"]["enum"] == ["float32", "float64"]
    jsonschema.validate({"networks": 64, "widths": [8, 16], "alpha": "theorem"}, schema)
    for bad in ({"networks": 1}, {"widths": [8]}, {"widths": [0, 8]}, {"dtype": "float16"}, {"error": 1.0}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
