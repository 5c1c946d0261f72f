"""LIFX colour arithmetic: HSBK words against percent and RGB."""

from __future__ import annotations

import pytest

from devices.adapters.lifx.color import (
    hue_saturation_to_rgb,
    percent_to_word,
    rgb_to_hue_saturation,
    word_to_percent,
)


@pytest.mark.parametrize(
    ("rgb", "hue", "saturation"),
    [
        ((255, 0, 0), 0, 65535),
        ((0, 255, 0), 21845, 65535),
        ((0, 0, 255), 43691, 65535),
        ((255, 255, 255), 0, 0),
        ((255, 128, 0), 5483, 65535),
        ((255, 0, 1), 65493, 65535),
    ],
)
def test_rgb_to_hue_and_saturation(rgb: tuple[int, int, int], hue: int, saturation: int) -> None:
    assert rgb_to_hue_saturation(rgb) == (hue, saturation)


@pytest.mark.parametrize(
    "rgb", [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 128, 0), (255, 0, 255), (128, 255, 64)]
)
def test_full_value_colours_survive_the_round_trip(rgb: tuple[int, int, int]) -> None:
    assert hue_saturation_to_rgb(*rgb_to_hue_saturation(rgb)) == rgb


def test_a_dim_colour_keeps_its_hue_and_comes_back_at_full_value() -> None:
    assert hue_saturation_to_rgb(*rgb_to_hue_saturation((128, 0, 0))) == (255, 0, 0)


def test_percent_and_words() -> None:
    assert [percent_to_word(p) for p in (0, 1, 50, 60, 100, 120, -5)] == [
        0,
        655,
        32768,
        39321,
        65535,
        65535,
        0,
    ]
    assert [word_to_percent(w) for w in (0, 655, 32768, 39321, 65535)] == [0, 1, 50, 60, 100]
    assert all(word_to_percent(percent_to_word(p)) == p for p in range(101))
