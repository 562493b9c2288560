"""`python -m bench.faults`: see bench.faults."""

from bench.faults.run import main

raise SystemExit(main())
