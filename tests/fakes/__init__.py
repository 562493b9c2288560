"""Local stand-ins of outside services, started by the tests."""
