"""The code generated reward modules run, as plain tested Python (standard library only)."""
