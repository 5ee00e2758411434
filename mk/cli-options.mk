# What every command shares (global options after the command, --timeout's
# duration parser, -J/-j, stdout write errors, non-UTF-8 names): CLI tests
# on fake sysfs trees, part of make check.
CHECK_EXTRA += check-cli-options

.PHONY: check-cli-options
check-cli-options: $(T)/kdsafe
	KDSAFE=$(CURDIR)/$(T)/kdsafe tests/cli/options/run.sh
