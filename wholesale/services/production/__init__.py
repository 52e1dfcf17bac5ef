"""Production runs: the approved orders a roast date gathers, what to roast, roast sheets and packing lists."""

from . import queries, roast_plan, runs  # noqa: F401  (callers name them as production.<module>)
