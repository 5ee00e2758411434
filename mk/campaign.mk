# kdsafe test: CLI tests of a whole campaign on a fake tree (make check)
CHECK_EXTRA += check-campaign

.PHONY: check-campaign
check-campaign: $(T)/kdsafe
	KDSAFE=$(CURDIR)/$(T)/kdsafe tests/campaign/run.sh
