# Date-times Django renders itself (the admin's lists and read-only fields) carry their zone, so nobody reads a
# UTC "midnight" as the school's. The admin renders them in the school's zone (config.middleware).
DATETIME_FORMAT = "D j M Y, H:i T"
SHORT_DATETIME_FORMAT = "D j M Y H:i T"
