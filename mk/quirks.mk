# quirks: CLI tests of the real binary (shipped quirks.d included) in
# make check; the quirk parser's libFuzzer run is in mk/fuzz.mk.
CHECK_EXTRA += check-quirks

.PHONY: check-quirks

check-quirks: $(T)/kdsafe
	KDSAFE=$(CURDIR)/$(T)/kdsafe tests/quirks/run.sh
