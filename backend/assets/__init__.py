"""The assets module (资产、公物仓与办公用房): asset cards with QR labels, the 公物仓 and its requests
and loans, disposals, stock-taking by room, and the office-space register (一房一档) on the
shared place tree."""
