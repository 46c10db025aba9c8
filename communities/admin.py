"""Django admin of Communities; actions call services."""
