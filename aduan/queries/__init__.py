"""The domain's reads, one module per concern; the only modules that say which columns leave the database."""
