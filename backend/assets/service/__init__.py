"""Business rules of the assets module, one file per concern (cards, labels, the 公物仓,
disposals, stock-takes, the office-space register)."""
