"""guidesmith: step-by-step guides as YAML, published as a site, standalone pages and PDFs."""

__version__ = "0.1.0"
