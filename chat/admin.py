"""Django admin of Chat; actions call services."""
