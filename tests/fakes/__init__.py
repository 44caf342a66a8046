"""Real protocol servers on loopback, started by the tests, standing in for the providers."""
