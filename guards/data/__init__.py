"""corral subpackage."""
