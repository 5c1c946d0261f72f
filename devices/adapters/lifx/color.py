"""LIFX colour arithmetic: HSBK (four 16-bit numbers) against percent, kelvin and RGB.

A LIFX bulb holds one colour as hue, saturation, brightness and kelvin, each 0-65535
except kelvin. Saturation 0 is white at the given colour temperature; anything else is a
colour, which Dobby reports as `rgb_color` at full value (brightness is reported apart).
"""

from __future__ import annotations

import colorsys
from typing import NamedTuple

WORD = 65535
HUE_STEPS = 65536


class Hsbk(NamedTuple):
    """One LIFX colour: hue, saturation and brightness in 0-65535, kelvin in kelvin."""

    hue: int
    saturation: int
    brightness: int
    kelvin: int


def percent_to_word(percent: float) -> int:
    """0-100 % → 0-65535."""
    return max(0, min(WORD, round(percent * WORD / 100)))


def word_to_percent(word: int) -> int:
    """0-65535 → 0-100 %."""
    return max(0, min(100, round(word * 100 / WORD)))


def rgb_to_hue_saturation(rgb: tuple[int, int, int]) -> tuple[int, int]:
    """An RGB colour's hue and saturation as LIFX words (its value becomes brightness)."""
    hue, saturation, _ = colorsys.rgb_to_hsv(*(channel / 255 for channel in rgb))
    return round(hue * HUE_STEPS) % HUE_STEPS, round(saturation * WORD)


def hue_saturation_to_rgb(hue: int, saturation: int) -> tuple[int, int, int]:
    """A LIFX hue and saturation as the RGB colour at full value."""
    red, green, blue = colorsys.hsv_to_rgb(hue / HUE_STEPS, saturation / WORD, 1.0)
    return round(red * 255), round(green * 255), round(blue * 255)
