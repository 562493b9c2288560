"""Units, people (the staff roster), WeChat binding, admins and roles, and devices."""
