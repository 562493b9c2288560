"""The fault harness (`make faults`): the production topology on one machine, broken on purpose.

It starts its own PostgreSQL cluster, Redis master, replica and three Sentinels, nginx in front
of two `houqin serve` processes, a job worker and a scheduler, all on free ports under a
temporary directory (never the machine's own PostgreSQL or Redis); 20 simulated canteen
terminals pay through it with the kiosk agent's own code. One fault at a time is injected while
they pay, and after each the money is checked: every answer a terminal was given as paid has
exactly one payment, nothing was charged twice, the offline journals are booked once,
`houqin reconcile` is clean, the service answers again within a bound, and a signed device
request captured before the fault is refused when replayed after it. The worker is also killed
while it sends WeChat notices (to the tests' stand-in of WeChat): none may be lost, and only one
WeChat took just before the kill may be sent twice.

`python -m bench.faults` runs it; FAULTS_SCENARIOS picks scenarios by number (e.g. "1,5"),
FAULTS_CUT_SECONDS is how long scenario 5 cuts a terminal's network (60), FAULTS_KEEP=1 keeps
the temporary directory for a look afterwards.
"""
