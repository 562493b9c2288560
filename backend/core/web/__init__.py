"""The HTTP edge shared by every module: error shape, request ids and logs, metrics, auth
decorators, body validation, and the system routes. The only part of core that knows Sanic."""
