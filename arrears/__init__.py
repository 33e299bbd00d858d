"""The core: organisation, campaigns, cases, the fee ledger, payments and who may do what."""
