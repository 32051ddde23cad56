"""Catalog: stories, methods, tools and good practices, and the taxonomy that tags them."""
