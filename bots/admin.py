"""Django admin of Bots; actions call services."""
