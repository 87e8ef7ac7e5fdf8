"""The anjie command line."""
