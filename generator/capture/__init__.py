"""`guidesmith capture`: guides that take their own screenshots from the live product.

`record` is the committed capture record that `build` reads (no browser); `compare` holds
the pixel comparisons; `browser` is the only module of guidesmith that drives a browser,
and `run` the command around it. Importing this package imports neither of the last two,
so a build never loads Playwright.
"""

DEFAULT_THRESHOLD = 0.1
"""`--check`: the percentage of a screenshot's pixels that may change before its step counts
as changed (here, so the command line offers it without importing the capture)."""
