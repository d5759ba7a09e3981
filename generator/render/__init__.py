"""Turning a guide and its rendered images into pages: Markdown, standalone HTML, PDF."""
