"""One blueprint per area of the contract, registered by the application factory."""
