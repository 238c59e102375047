# In-guest tests and the check target. Filled in below by the foundation work.
.PHONY: check
check: check-host
