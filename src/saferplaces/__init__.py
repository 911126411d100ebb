"""SaferPlaces: evidence and accountability for Community Safety Partnerships and PCCs."""

from .errors import ConfigError, InputError, SaferPlacesError
from .workspace import Workspace

__all__ = ["ConfigError", "InputError", "SaferPlacesError", "Workspace"]
__version__ = "0.1.0"
