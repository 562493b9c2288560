"""The admin web console: server-rendered pages (Jinja2 via sanic-ext, htmx, ECharts) over the
same services as the admin API. This package holds the shell every page shares (session cookie,
CSRF, navigation, tables, forms, error pages); each domain module adds its own `pages.py`."""
