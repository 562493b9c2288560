"""The one-card wallet (一卡通): cards, cash and subsidy balances, and the double-entry ledger."""
