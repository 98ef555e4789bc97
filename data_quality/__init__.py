"""Great Expectations suites that guard every published figure (SPEC §7)."""
