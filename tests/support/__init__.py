"""Helpers the test folders share: free ports, waiting for a server, real processes."""
