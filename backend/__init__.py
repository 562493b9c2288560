"""The platform's server: Sanic app factory, domain modules, persistence, jobs and CLI."""
