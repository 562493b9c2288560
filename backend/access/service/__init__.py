"""The services of gates and visitors: plain async functions that own their transactions and raise
AccessError, called by the console pages, the mini-program, the device API and the jobs."""
