"""Django admin of Channels; actions call services."""
