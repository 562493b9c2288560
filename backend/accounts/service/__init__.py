"""The accounts services: units and people, roster import, admins, cadres, devices."""
