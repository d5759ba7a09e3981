"""Scribe exports -> guide files, one module a job.

scribe.py parses one Markdown export into a Guide; series.py reads the index page that
orders a series into chapters; download.py fetches an imported guide's images; run.py is
`guidesmith import`: it reads, orders, downloads and writes.
"""
