from support.runtime import workspace  # noqa: F401  (fixture)
