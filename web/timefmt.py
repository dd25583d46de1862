"""Times as a pilot reads them; the formatting itself lives in config.localtime so every app shares it."""

from config.localtime import format_local, format_local_range, localize_reason, school_zone, zone_of

__all__ = ["format_local", "format_local_range", "localize_reason", "school_zone", "zone_of"]
