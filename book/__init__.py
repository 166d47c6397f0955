"""The book's sources. ``book.page`` is the one module its pages import (see book/page.py)."""
