"""One module per gated table, each with ``build_suite() -> ExpectationSuite``."""
