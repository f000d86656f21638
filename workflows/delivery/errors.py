"""Why a delivery attempt failed: the reason is stored on the attempt and the message."""


class DeliveryError(Exception):
    """The channel did not take the message (refused, timed out, answered an error): retry."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (no address, robot disabled): the message fails at once."""
