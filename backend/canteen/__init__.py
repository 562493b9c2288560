"""Smart canteen (智慧食堂): canteens, meal periods and prices, terminal payments, bookings."""
