"""The wallet services: wallets and cards, the ledger, pay codes, top-up, subsidy, cash refunds."""
