"""TRL integration tests (need the `trl` extra; skipped cleanly without it)."""
