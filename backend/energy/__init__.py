"""Energy (能耗): meters read over Modbus TCP and DL/T 645, each unit's monthly budget by headcount
with alerts and cut-off, kgce and carbon, indicators against the baseline year and the plan's
targets."""
