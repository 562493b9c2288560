"""The canteen services: canteens and terminals, payments online and offline, bookings, menus, reports."""
