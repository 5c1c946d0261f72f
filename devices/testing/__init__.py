"""Testing tools for adapters: the contract kit, and a loop in a thread for blocking tests."""

from __future__ import annotations

from devices.testing.contract import AdapterContract, CommandCase, Harness, fresh_hosts

__all__ = ["AdapterContract", "CommandCase", "Harness", "fresh_hosts"]
