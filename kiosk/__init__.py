"""The agent that runs on each canteen terminal: talks to the backend over signed HTTP."""
