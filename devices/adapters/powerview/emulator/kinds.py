"""The shade kinds real PowerView hubs report, as a type number and a capability number.

A hub tells what a shade can do by its `capabilities` number (0-11); its `type` names the
product. The numbers and what they mean are public: aiopvapi's shade classes and the hub
captures Home Assistant publishes list them. Each kind here is one capability (with one
product that reports it), plus the odd ones real hubs show: a Twist (type 44) that reports
capability 0 and still tilts when closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal[
    "roller",
    "tilt_on_closed",
    "twist",
    "venetian",
    "vertical",
    "vertical_tilt",
    "tilt_only",
    "top_down",
    "top_down_bottom_up",
    "dual_overlapped",
    "dual_overlapped_tilt",
    "dual_overlapped_tilt_180",
    "illuminated",
]
Secondary = Literal["rail", "overlapped"]


@dataclass(frozen=True)
class KindSpec:
    """What a hub reports for one kind of shade, and how its rails and vanes move."""

    type_id: int
    capability: int
    description: str
    primary: bool = True
    """A bottom rail (or front fabric, or panel) that moves."""
    secondary: Secondary | None = None
    """A second rail: a top rail coming down ("rail"), or a rear fabric behind the front
    one ("overlapped": the front must be down before the rear moves)."""
    tilt: Literal["anywhere", "closed"] | None = None
    """Vanes that tilt at any position, or only when the shade is closed."""
    tilt_half_scale: bool = False
    """A 90° tilt: a generation 2 hub reports it on half the scale (0-32767)."""


KINDS: dict[Kind, KindSpec] = {
    "roller": KindSpec(1, 0, "Designer Roller"),
    "tilt_on_closed": KindSpec(23, 1, "Silhouette", tilt="closed", tilt_half_scale=True),
    "twist": KindSpec(44, 0, "Twist", tilt="closed"),
    "venetian": KindSpec(51, 2, "Venetian, Tilt Anywhere", tilt="anywhere"),
    "vertical": KindSpec(69, 3, "Curtain, Left Stack"),
    "vertical_tilt": KindSpec(54, 4, "Vertical Slats, Left Stack", tilt="anywhere"),
    "tilt_only": KindSpec(66, 5, "Palm Beach Shutters", primary=False, tilt="anywhere"),
    "top_down": KindSpec(7, 6, "Top Down"),
    "top_down_bottom_up": KindSpec(8, 7, "Duette, Top Down Bottom Up", secondary="rail"),
    "dual_overlapped": KindSpec(65, 8, "Vignette Duolite", secondary="overlapped"),
    "dual_overlapped_tilt": KindSpec(
        38, 9, "Silhouette Duolite", secondary="overlapped", tilt="closed", tilt_half_scale=True
    ),
    "dual_overlapped_tilt_180": KindSpec(
        99, 10, "Duolite, Tilt 180°", secondary="overlapped", tilt="closed"
    ),
    "illuminated": KindSpec(95, 11, "Aura Illuminated, Roller", secondary="overlapped"),
}
"""Every kind the emulator serves. Type 99 is no product aiopvapi knows: a hub with a shade
newer than the library is matched on its capability number alone."""
