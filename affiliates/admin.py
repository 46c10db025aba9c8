"""Django admin of Affiliates; actions call services."""
