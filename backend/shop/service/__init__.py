"""The produce shop's business rules, one file per part (catalogue, cycles, orders, payments,
refunds, pickup, reports, settlements)."""
