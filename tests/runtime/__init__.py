"""Unit tests of the runtime helpers that generated reward modules inline."""
