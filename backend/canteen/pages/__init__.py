"""The canteen console pages: payments and reports, and canteen setup."""
