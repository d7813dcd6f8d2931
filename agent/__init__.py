"""corral: let local Llama 3.2 models call your Python functions, safely."""

from .exceptions import *  # noqa: F401,F403
