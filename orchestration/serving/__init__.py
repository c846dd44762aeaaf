"""Serving: the marts exported for BI tools and the HTML report, swapped in atomically."""
