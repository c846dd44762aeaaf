"""The benchmark (`leadqual benchmark`): the daily job against a hand-written floor and pandas."""
