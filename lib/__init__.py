"""Reference implementation."""
