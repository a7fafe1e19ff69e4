"""The OpenAPI 3.1 document of a Covet app, and its interactive documentation pages."""
