"""The errors every adapter maps its client library's errors onto.

    DeviceError
     ├── DeviceConnectionError     the device could not be reached (retried if safe)
     │    ├── DeviceTimeoutError   it did not answer in time
     │    └── DeviceNotSentError   the request surely never left (connection refused)
     ├── DeviceResponseError       it answered with garbage (marked unavailable)
     ├── DeviceRefusedError        it understood and said no (a protocol fault)
     ├── DeviceUnconfirmedError    it took the command but its state did not change
     ├── DeviceUnavailableError    it is known to be offline; nothing was sent
     ├── DeviceAuthError           it refused our credentials (pair again)
     └── UnsupportedCommandError   the entity cannot do this; nothing was sent

Every message is written for the person who asked, not for a log reader, and leaves out
the device's name: the executor puts it in front ("Kitchen: cannot be reached.").
"""

from __future__ import annotations


class DeviceError(Exception):
    """Base of every device error; its message is fit to show a person."""


class DeviceConnectionError(DeviceError):
    """The device could not be reached. The request may have arrived all the same, so it
    is sent again only when that is safe (`devices.coordinator.retry_is_safe`)."""


class DeviceTimeoutError(DeviceConnectionError):
    """The device did not answer in time."""


class DeviceNotSentError(DeviceConnectionError):
    """The request surely never reached the device (the connection was refused, the
    address is unreachable): sending it again cannot do anything twice."""


class DeviceResponseError(DeviceError):
    """The device answered with something that is not a valid reply; it is marked unavailable."""


class DeviceRefusedError(DeviceError):
    """The device understood the request and refused it; it is still healthy."""


class DeviceUnconfirmedError(DeviceError):
    """The device acknowledged the command, but reading it back shows no change."""


class DeviceUnavailableError(DeviceError):
    """The device is known to be offline, so nothing was sent."""


class DeviceAuthError(DeviceError):
    """The device refused our credentials."""


class UnsupportedCommandError(DeviceError):
    """The entity cannot carry out this command, so nothing was sent."""
