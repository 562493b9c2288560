"""The shop's accounts in the wallet's double-entry ledger: its revenue (what it holds for its
suppliers) and what each supplier has been paid out."""

REVENUE = "shop:revenue"


def supplier_settled(supplier_id: int) -> str:
    return f"shop:supplier:{supplier_id}:settled"
