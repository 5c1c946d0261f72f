"""What an emulated ScreenLogic gateway controls: an EasyTouch or IntelliTouch system.

The model holds what the controller knows: circuits (pump, cleaner, jets, lights, ...),
the bodies of water with their heat settings, the air temperature, and the chemistry
equipment (IntelliChem, a salt chlorine generator). Temperatures are in the controller's
own unit, as the wire carries them. `step` moves the water toward the setpoint while a
body's heater runs, the way a heated pool warms up, only faster.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Circuit functions and interface groups, as the controller numbers them.
GENERIC, SPA, POOL, CLEANER, LIGHT, INTELLIBRITE = 0, 1, 2, 6, 7, 16
SHOW_POOL, SHOW_SPA, SHOW_FEATURES, SHOW_LIGHTS, DONT_SHOW = 0, 1, 2, 4, 5

# Heat modes and heat states.
HEAT_OFF, HEAT_SOLAR, HEAT_SOLAR_PREFERRED, HEATER = 0, 1, 2, 3
STATE_OFF, STATE_SOLAR, STATE_HEATER = 0, 1, 2

# Equipment flags of the controller configuration.
FLAG_CHLORINATOR = 0x4
FLAG_INTELLIBRITE = 0x8
FLAG_INTELLIFLO_0 = 0x10
FLAG_INTELLICHEM = 0x8000

MODELS: dict[str, tuple[int, int]] = {
    "EasyTouch2 8": (13, 0),
    "EasyTouch2 4": (13, 2),
    "IntelliTouch i5+3S": (0, 0),
    "IntelliTouch i7+3": (1, 0),
}
"""Controller model → (controller type, hardware type) as the configuration reports them."""


@dataclass
class Circuit:
    """One circuit: a relay the controller switches, with its function and where it shows."""

    id: int
    """The ScreenLogic circuit id (500 and up)."""
    name: str
    function: int = GENERIC
    interface: int = SHOW_FEATURES
    on: bool = False

    @property
    def device_id(self) -> int:
        """The controller's own circuit number."""
        return self.id - 499


@dataclass
class Body:
    """A body of water (pool or spa) and its heat settings, in the controller's unit."""

    kind: int
    """0 pool, 1 spa."""
    circuit_id: int
    """The circuit that runs this body's pump: water only heats while it runs."""
    temperature: float
    setpoint: int
    heat_mode: int = HEAT_OFF
    min_setpoint: int = 40
    max_setpoint: int = 104
    cool_setpoint: int = 0


@dataclass
class Chemistry:
    """What IntelliChem and the salt chlorine generator read."""

    ph: float = 7.4
    orp: int = 720
    ph_setpoint: float = 7.5
    orp_setpoint: int = 700
    salt: int = 3200
    """Salt in ppm (the wire carries it in steps of 50)."""
    saturation: float = 0.1
    calcium: int = 300
    cyanuric_acid: int = 50
    alkalinity: int = 90
    chlorinator_pool: int = 50
    """Chlorinator output for the pool, in percent."""
    chlorinator_spa: int = 10
    ph_range: tuple[float, float] = (7.2, 7.8)
    """Outside it, the emulated IntelliChem raises its pH alarm (high or low)."""
    orp_range: tuple[int, int] = (650, 850)
    """Outside it, the ORP alarm."""

    @property
    def alarms(self) -> int:
        """IntelliChem's alarm flags (screenlogicpy's ALARM_FLAG bits)."""
        bits = [
            (self.ph > self.ph_range[1], 2),
            (self.ph < self.ph_range[0], 4),
            (self.orp > self.orp_range[1], 8),
            (self.orp < self.orp_range[0], 16),
        ]
        return sum(bit for holds, bit in bits if holds)


RPM_RANGE, GPM_RANGE = (450, 3450), (15, 130)
"""The speeds an IntelliFlo accepts for a preset, in RPM and in GPM."""


@dataclass
class PumpPreset:
    """One preset of a pump: the speed it runs at while a circuit is on."""

    circuit_id: int
    speed: int
    rpm: bool = True
    """The speed is in RPM (else GPM)."""


@dataclass
class Equipment:
    """A whole controller's worth of equipment."""

    circuits: list[Circuit]
    bodies: list[Body]
    model: str = "EasyTouch2 8"
    celsius: bool = False
    air_temperature: float = 75.0
    intellichem: bool = True
    chlorinator: bool = True
    pumps: int = 1
    """IntelliFlo pumps (variable speed), reported at pump indexes 0 and up."""
    presets: dict[int, list[PumpPreset]] = field(default_factory=dict)
    """Each pump's presets (at most eight), by pump index; a pump not in it runs at 2500 RPM
    for the pool circuit (and the spa's, if there is one at 3000)."""
    color_mode: int = 0
    """The last light command sent to the colour lights (0: all off)."""
    heating_rate: float = 0.5
    """Degrees (controller unit) per second the water warms while its heater runs."""
    chemistry: Chemistry = field(default_factory=Chemistry)

    def __post_init__(self) -> None:
        for index in range(self.pumps):
            if index not in self.presets:
                presets = [
                    PumpPreset(b.circuit_id, 2500 if b.kind == 0 else 3000) for b in self.bodies
                ]
                self.presets[index] = presets

    def pump_speed(self, index: int) -> tuple[int, bool] | None:
        """What pump `index` runs at now: the fastest preset whose circuit is on (speed, in
        RPM or not), None while it stands still."""
        running = [p for p in self.presets.get(index, []) if self.circuit(p.circuit_id).on]
        if not running:
            return None
        fastest = max(running, key=lambda p: p.speed if p.rpm else p.speed * 30)
        return fastest.speed, fastest.rpm

    def set_pump_speed(self, index: int, preset: int, speed: int, *, rpm: bool) -> None:
        """Set one preset's speed (ValueError outside the range, KeyError: no such preset)."""
        presets = self.presets[index]
        if not 0 <= preset < len(presets):
            raise KeyError(preset)
        low, high = RPM_RANGE if rpm else GPM_RANGE
        if not low <= speed <= high:
            raise ValueError(speed)
        presets[preset].speed, presets[preset].rpm = speed, rpm

    def circuit(self, circuit_id: int) -> Circuit:
        """The circuit with this id (KeyError if there is none)."""
        for circuit in self.circuits:
            if circuit.id == circuit_id:
                return circuit
        raise KeyError(circuit_id)

    def body(self, kind: int) -> Body:
        """The pool (0) or the spa (1) (KeyError if the system has no such body)."""
        for body in self.bodies:
            if body.kind == kind:
                return body
        raise KeyError(kind)

    @property
    def flags(self) -> int:
        """The equipment flags the configuration reports."""
        flags = 0
        if self.chlorinator:
            flags |= FLAG_CHLORINATOR
        if any(c.function == INTELLIBRITE for c in self.circuits):
            flags |= FLAG_INTELLIBRITE
        for index in range(self.pumps):
            flags |= FLAG_INTELLIFLO_0 << index
        if self.intellichem:
            flags |= FLAG_INTELLICHEM
        return flags

    def heating(self, body: Body) -> bool:
        """Whether the body's heater runs now: heat on, pump running, water below target."""
        running = self.circuit(body.circuit_id).on
        return body.heat_mode != HEAT_OFF and running and body.temperature < body.setpoint

    def heat_state(self, body: Body) -> int:
        """What heats the body now: off, solar or the heater."""
        if not self.heating(body):
            return STATE_OFF
        return STATE_HEATER if body.heat_mode == HEATER else STATE_SOLAR

    def step(self, seconds: float) -> bool:
        """Let `seconds` pass; whether a reported (whole-degree) temperature changed."""
        changed = False
        for body in self.bodies:
            if not self.heating(body):
                continue
            before = round(body.temperature)
            body.temperature = min(
                float(body.setpoint), body.temperature + self.heating_rate * seconds
            )
            changed = changed or round(body.temperature) != before
        return changed


def pool_and_spa(*, celsius: bool = False, model: str = "EasyTouch2 8") -> Equipment:
    """A typical pool-and-spa system: pump, spa, cleaner, jets, waterfall, two IntelliBrites."""
    if celsius:
        pool = Body(0, 505, temperature=25.0, setpoint=27, min_setpoint=4, max_setpoint=40)
        spa = Body(1, 500, temperature=30.0, setpoint=38, min_setpoint=4, max_setpoint=40)
        air = 24.0
    else:
        pool = Body(0, 505, temperature=77.0, setpoint=80)
        spa = Body(1, 500, temperature=86.0, setpoint=100)
        air = 75.0
    return Equipment(
        circuits=[
            Circuit(500, "Spa", SPA, SHOW_SPA),
            Circuit(501, "Cleaner", CLEANER, SHOW_POOL),
            Circuit(502, "Spa Jets", GENERIC, SHOW_SPA),
            Circuit(503, "Pool Light", INTELLIBRITE, SHOW_LIGHTS),
            Circuit(504, "Spa Light", INTELLIBRITE, SHOW_LIGHTS),
            Circuit(505, "Pool", POOL, SHOW_POOL, on=True),
            Circuit(506, "Waterfall", GENERIC, SHOW_FEATURES),
            Circuit(507, "Aux Extra", GENERIC, DONT_SHOW),
        ],
        bodies=[pool, spa],
        model=model,
        celsius=celsius,
        air_temperature=air,
    )
