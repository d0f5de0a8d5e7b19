"""Wiring: settings, the Application, runners and the command line."""
