"""`guidesmith capture`: guides that take their own screenshots from the live product.

`record` is the committed capture record that `build` reads (no browser); `compare` holds
the pixel comparisons; `browser` is the only module of guidesmith that drives a browser,
and `run` the command around it. Importing this package imports neither of the last two,
so a build never loads Playwright.
"""
