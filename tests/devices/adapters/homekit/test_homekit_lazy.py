"""An accessory that is only found (not paired with Dobby) costs none of aiohomekit."""

from __future__ import annotations

import subprocess
import sys


def test_the_adapter_loads_aiohomekit_only_when_a_session_needs_it() -> None:
    code = (
        "import sys\n"
        "import devices.adapters.homekit.adapter as adapter\n"
        "print('aiohomekit' in sys.modules, 'cryptography' in sys.modules)\n"
        "assert adapter.session.PairedAccessory\n"
        "print('aiohomekit' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "True"]
