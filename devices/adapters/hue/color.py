"""Colour arithmetic between Dobby's words (kelvin, RGB) and Hue's (mirek, CIE xy).

Hue speaks colour temperature in mirek (a million over kelvin) and colour as a point in
the CIE 1931 xy plane; brightness is separate. The conversions use the wide-gamut D65
matrices Philips documents for Hue, with sRGB gamma.
"""

from __future__ import annotations

RGB = tuple[int, int, int]
XY = tuple[float, float]

WHITE_POINT: XY = (0.3127, 0.3290)
"""D65, the xy of white: what black (no colour at all) maps to."""


def mirek_to_kelvin(mirek: int) -> int:
    """153 mirek → 6536 K."""
    return round(1_000_000 / mirek)


def kelvin_to_mirek(kelvin: int, low: int = 153, high: int = 500) -> int:
    """2700 K → 370 mirek, kept inside the light's own range [low, high]."""
    return max(low, min(high, round(1_000_000 / kelvin)))


def _linear(channel: int) -> float:
    value = channel / 255
    return ((value + 0.055) / 1.055) ** 2.4 if value > 0.04045 else value / 12.92


def _gamma(value: float) -> float:
    if value <= 0.0031308:
        return 12.92 * value
    return float(1.055 * value ** (1 / 2.4) - 0.055)


def rgb_to_xy(rgb: RGB) -> XY:
    """An sRGB colour as a CIE xy point, rounded to the bridge's four decimals."""
    red, green, blue = (_linear(c) for c in rgb)
    x = red * 0.664511 + green * 0.154324 + blue * 0.162028
    y = red * 0.283881 + green * 0.668433 + blue * 0.047685
    z = red * 0.000088 + green * 0.072310 + blue * 0.986039
    total = x + y + z
    if total == 0:
        return WHITE_POINT
    return round(x / total, 4), round(y / total, 4)


def xy_to_rgb(xy: XY) -> RGB:
    """A CIE xy point as the brightest sRGB colour of that hue."""
    x, y = xy
    if y <= 0:
        return (255, 255, 255)
    luminance = 1.0
    big_x = luminance / y * x
    big_z = luminance / y * (1 - x - y)
    red = big_x * 1.656492 - luminance * 0.354851 - big_z * 0.255038
    green = -big_x * 0.707196 + luminance * 1.655397 + big_z * 0.036152
    blue = big_x * 0.051713 - luminance * 0.121364 + big_z * 1.011530
    channels = [max(0.0, _gamma(max(0.0, c))) for c in (red, green, blue)]
    top = max(channels)
    if top <= 0:
        return (0, 0, 0)
    r, g, b = (round(min(255.0, c / top * 255)) for c in channels)
    return (r, g, b)
