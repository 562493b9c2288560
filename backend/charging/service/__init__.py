"""The charging services: sites, piles and tags, tariffs and pricing, sessions and their bills,
the command bus to piles held by any worker, the site's power sharing, health and reports."""
